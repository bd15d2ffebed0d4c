/**
 * Throughput of API procedures over HTTP with the typed client, against real Postgres and the
 * cache, next to a baseline measured in the same run so the figures travel between machines.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench:client -w @sesame/api
 *
 * A throwaway database `sesame_bench_<hex>` is created, migrated and dropped. The cache is the
 * Upstash-compatible shim, in front of REDIS_URL when set, in memory otherwise. Each row runs
 * BENCH_CONCURRENCY workers (default 8), each with its own client so tRPC's batching never merges
 * their calls, for BENCH_SECONDS (default 4) after a short warm-up.
 *
 * Rows are a list: add one by appending to `rows` (prepare data, return the operation).
 */
import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createSesameClient, type SesameClient } from "@sesame/client";
import type { SesameBackends } from "@sesame/dev-services";
import { sql } from "drizzle-orm";
import { mfaFactors } from "../src/db/schema.ts";
import { encryptString } from "../src/lib/crypto.ts";
import { hashPassword } from "../src/lib/passwords.ts";
import { newTotpSecret, totpCodeAt } from "../src/services/mfa/totp.ts";
import { uniqueTenantCode, type ApiHarness } from "../test/harness.ts";
import { withBenchApi } from "./bench-api.ts";

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP_MS = 500;

export interface BenchEnv {
  api: ApiHarness;
  tenantId: string;
  /** The tenant's API key. */
  apiKey: string;
  /** A client per worker (index = worker). */
  clients: SesameClient[];
}

/** One operation; `i` counts the row's operations across workers, from 0. */
export type BenchOp = (client: SesameClient, i: number) => Promise<unknown>;

export interface BenchRow {
  name: string;
  /** Ratios are to this row. Exactly one row is the baseline. */
  baseline?: boolean;
  /** Upper bound on operations (for rows that consume prepared data). */
  maxOps?: number;
  prepare(env: BenchEnv): Promise<BenchOp>;
}

/** Inserts `count` users (and one ENROLLED session each when asked) with bulk SQL; returns their ids in order. */
async function bulkUsers(env: BenchEnv, prefix: string, count: number, withSession: boolean): Promise<string[]> {
  const db = env.api.deps.db;
  const rows = await db.execute<{ id: string }>(sql`
    insert into users (tenant_id, username, username_key, status)
    select ${env.tenantId}::uuid, ${prefix} || '-' || g, ${prefix} || '-' || g, 'active' from generate_series(1, ${count}) g
    returning id`);
  const ids = rows.map((r) => r.id);
  if (withSession) {
    await db.execute(sql`
      insert into sessions (tenant_id, user_id, provider, expires_at)
      select ${env.tenantId}::uuid, id, 'admin', now() + interval '1 day' from users where tenant_id = ${env.tenantId} and username like ${`${prefix}-%`}`);
  }
  return ids;
}

// Enough prepared users that a row never runs dry at the throughput this machine class reaches.
const LOCK_USERS = 20_000;
const LOGIN_USERS = 2_000;
const MFA_USERS = 1_500;
const BENCH_PASSWORD = "bench password";

/** A public client whose calls come from a random address (the test API trusts X-Forwarded-For). */
const fromFreshIp = (env: BenchEnv) =>
  createSesameClient({ url: env.api.url, headers: { "x-forwarded-for": `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}` } });

const rows: BenchRow[] = [
  {
    name: "baseline: tenants.get (auth + 1 select)",
    baseline: true,
    prepare: async () => (client) => client.tenants.get.query(),
  },
  {
    name: "select 1 (pool, no HTTP)",
    prepare: async (env) => () => env.api.deps.db.execute(sql`select 1`),
  },
  {
    name: "sessions.create",
    prepare: async (env) => {
      const users = await bulkUsers(env, "create", 500, false);
      return (client, i) => client.sessions.create.mutate({ userId: users[i % users.length]!, client: { userAgent: "bench/1.0" } });
    },
  },
  {
    name: "users.lock (1 session each)",
    maxOps: LOCK_USERS,
    prepare: async (env) => {
      const users = await bulkUsers(env, "lock", LOCK_USERS, true);
      return (client, i) => client.users.lock.mutate({ userId: users[i]!, wipe: false });
    },
  },
  {
    // Sign-ins are throttled per account (10 / 15 min) and per client IP: spread over enough users
    // and fresh X-Forwarded-For addresses that the row measures sign-ins, throttle check included.
    name: "auth.login (argon2id verify + new session)",
    maxOps: LOGIN_USERS * 9,
    prepare: async (env) => {
      const passwordHash = await hashPassword(BENCH_PASSWORD);
      await env.api.deps.db.execute(sql`
        insert into users (tenant_id, username, username_key, status, password_hash)
        select ${env.tenantId}::uuid, 'login-' || g, 'login-' || g, 'active', ${passwordHash} from generate_series(1, ${LOGIN_USERS}) g`);
      const [{ code }] = (await env.api.deps.db.execute<{ code: string }>(sql`select code from tenants where id = ${env.tenantId}`)) as unknown as [{ code: string }];
      return (_client, i) =>
        fromFreshIp(env).auth.login.mutate({ tenant: code, identifier: `login-${(i % LOGIN_USERS) + 1}`, password: BENCH_PASSWORD });
    },
  },
  {
    // Each operation takes a session's live refresh token and puts back its child, so no two
    // workers ever present the same token (which would be reuse, or a grace replay).
    name: "auth.refresh (rotate + new access token)",
    prepare: async (env) => {
      const users = await bulkUsers(env, "refresh", CONCURRENCY * 4, false);
      const admin = env.clients[0]!;
      const live: string[] = [];
      for (const userId of users) live.push((await admin.sessions.create.mutate({ userId })).refreshToken);
      return async (client) => {
        const token = live.shift()!;
        const next = await client.auth.refresh.mutate({ refreshToken: token });
        live.push(next.refreshToken);
      };
    },
  },
  {
    // A TOTP code is good once per user per 30-second step: one prepared user (confirmed factor,
    // one session) per operation. Throttle check, decrypt, HMAC, step update and the SessionChange
    // (version bump, event, outbox, cache write) included.
    name: "auth.verifyFactor (TOTP step-up)",
    maxOps: MFA_USERS,
    prepare: async (env) => {
      const users = await bulkUsers(env, "mfa", MFA_USERS, false);
      const secret = newTotpSecret();
      const secretEnc = encryptString(env.api.config.encryptionKey, secret);
      await env.api.deps.db.insert(mfaFactors).values(users.map((userId) => ({ tenantId: env.tenantId, userId, type: "totp" as const, secretEnc, confirmedAt: new Date() })));
      const admin = env.clients[0]!;
      const tokens: string[] = [];
      for (const userId of users) tokens.push((await admin.sessions.create.mutate({ userId })).accessToken);
      const userClients = tokens.map((accessToken) => createSesameClient({ url: env.api.url, accessToken }));
      return (_client, i) => userClients[i]!.auth.verifyFactor.mutate({ code: totpCodeAt(secret, new Date()) });
    },
  },
];

interface RowResult {
  name: string;
  ops: number;
  opsPerSecond: number;
  p50: number;
  p95: number;
  baseline: boolean;
}

async function runRow(env: BenchEnv, row: BenchRow): Promise<RowResult> {
  const op = await row.prepare(env);
  const max = row.maxOps ?? Number.POSITIVE_INFINITY;
  let next = 0;
  const latencies: number[] = [];
  let measuring = false;
  const warmupEnds = performance.now() + WARMUP_MS;
  const ends = warmupEnds + SECONDS * 1000;
  let measuredOps = 0;
  let measureStart = 0;
  const worker = async (client: SesameClient) => {
    for (;;) {
      const now = performance.now();
      if (now >= ends || next >= max) return;
      if (!measuring && now >= warmupEnds) {
        measuring = true;
        measureStart = now;
      }
      const i = next++;
      const started = performance.now();
      await op(client, i);
      if (measuring && started >= measureStart) {
        latencies.push(performance.now() - started);
        measuredOps += 1;
      }
    }
  };
  await Promise.all(env.clients.map(worker));
  // Until the last operation finished: every counted operation is inside the window.
  const elapsed = (performance.now() - (measuring ? measureStart : warmupEnds - WARMUP_MS)) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
  return { name: row.name, ops: measuredOps, opsPerSecond: measuredOps / elapsed, p50: pct(0.5), p95: pct(0.95), baseline: row.baseline === true };
}

function printResults(results: RowResult[], backends: SesameBackends) {
  const base = results.find((r) => r.baseline);
  console.log(`\nsesame api bench — postgres: ${backends.description.postgres}, cache: ${backends.description.cache}, concurrency ${CONCURRENCY}, ${SECONDS}s per row`);
  console.table(
    results.map((r) => ({
      row: r.name,
      ops: r.ops,
      "ops/s": Math.round(r.opsPerSecond),
      "p50 ms": Number(r.p50.toFixed(2)),
      "p95 ms": Number(r.p95.toFixed(2)),
      "× baseline": base ? Number((r.opsPerSecond / base.opsPerSecond).toFixed(3)) : null,
    })),
  );
}

async function main() {
  await withBenchApi(async (api, backends) => {
    const { tenant, key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode("B"), name: "Bench" });
    const env: BenchEnv = {
      api,
      tenantId: tenant.id,
      apiKey: key,
      clients: Array.from({ length: CONCURRENCY }, () => createSesameClient({ url: api.url, apiKey: key })),
    };
    const results: RowResult[] = [];
    for (const row of rows) {
      results.push(await runRow(env, row));
      console.log(`  ${row.name}: ${Math.round(results.at(-1)!.opsPerSecond)} ops/s`);
    }
    printResults(results, backends);
  });
}

await main();
