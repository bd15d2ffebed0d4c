/**
 * `npm run bench`: the real API process (src/main.ts, production settings, real Postgres and TCP
 * Redis) against a floor per operation (floor-server.ts: a bare Hono route doing the same SQL with
 * postgres.js, plus the EdDSA verify or sign where the API does one), both measured in the same run
 * with autocannon: BENCH_CONNECTIONS (default 50) connections, a 1 s warm-up, then BENCH_SECONDS
 * (default 3) measured, BENCH_ROUNDS (default 3) times, the API first in odd rounds and the floor
 * first in even ones. On a shared 2-core machine one round's ratio moves by a quarter either way, so
 * each row prints the round with the median ratio (req/s, p50/p99, the ratio to its floor, the CPU
 * time each server process spent per request, and Postgres' (server and backends) for each, from
 * /proc) and every round's ratio beside it.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench
 *
 * A throwaway database `sesame_bench_<hex>` is created, migrated and dropped. BENCH_ROWS picks rows
 * by id (comma-separated). SESAME_CPU_PROF=<dir> makes the API write a V8 CPU profile there on
 * shutdown (src/lib/cpu-profile.ts), so `SESAME_CPU_PROF=/tmp/prof npm run bench` profiles the
 * measured API. The older in-process client bench (users.lock, auth.login) is `npm run bench:client`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { withDeadline } from "@sesame/cache";
import { createSesameClient } from "@sesame/client";
import autocannon, { type Request as CannonRequest } from "autocannon";
import postgres from "postgres";
import { medianBy, processTreeCpuMs, processesNamedCpuMs } from "@sesame/dev-services";
import { DEFAULT_POOL_MAX } from "../src/config.ts";
import { generateStoredKey } from "../src/lib/signing-keys.ts";
import { withBenchDatabase } from "./bench-api.ts";

const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const ISSUER = "http://sesame.bench";
const AUDIENCE = "sesame";
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
}

/** Spawns `file` under tsx and resolves with the URL from the first line `match` finds in its stdout. */
function startProcess(file: string, env: Record<string, string>, match: (line: string) => string | null): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@sesame/source", file], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const ready = new Promise<Started>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code}`)));
    // Keep reading (and dropping) the output so a chatty child never blocks on a full pipe.
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const url = match(line);
      if (url) resolve({ child, url });
    });
  });
  return withDeadline(ready, 60_000, () => new Error(`${file} did not become ready in 60 s`));
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** What a row sends: the same to the API (under /trpc) and to the floor, but for the path prefix. */
interface RowRequest {
  method: "GET" | "POST";
  headers: Record<string, string>;
  /** A fixed body, or one per request. */
  body?: () => string;
  /** Sees each answer (a refresh chain takes its next token from it). */
  onResponse?: (body: string) => void;
}

interface Row {
  id: string;
  procedure: string;
  request: (target: "api" | "floor") => RowRequest;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  /** CPU time (user + system) the server process spent per answered request, in microseconds. */
  cpuUs: number;
  /** The same for Postgres (the server and all its backends): the database's share of the work. */
  postgresCpuUs: number;
}

async function measure(baseUrl: string, path: string, spec: RowRequest, pid: number): Promise<Measured> {
  const request = {
    method: spec.method,
    path,
    headers: { ...spec.headers, ...(spec.method === "POST" ? { "content-type": "application/json" } : {}) },
    ...(spec.body ? { setupRequest: (r: CannonRequest) => ({ ...r, body: spec.body!() }) } : {}),
    ...(spec.onResponse ? { onResponse: (_status: number, body: string) => spec.onResponse!(body) } : {}),
  };
  const options = { url: baseUrl, connections: CONNECTIONS, requests: [request] };
  await autocannon({ ...options, duration: 1 });
  const before = { server: processTreeCpuMs(pid), postgres: processesNamedCpuMs("postgres") };
  const result = await autocannon({ ...options, duration: SECONDS });
  const perRequest = (ms: number) => (ms * 1000) / Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    cpuUs: perRequest(processTreeCpuMs(pid) - before.server),
    postgresCpuUs: perRequest(processesNamedCpuMs("postgres") - before.postgres),
  };
}

async function main() {
  await withBenchDatabase(async (databaseUrl, cleanups) => {
    const db = postgres(databaseUrl, { max: 2, onnotice: () => undefined });
    cleanups.unshift(() => db.end({ timeout: 2 }));

    const key = await generateStoredKey(new Date());
    const rootKey = `sesame_root_${randomBytes(32).toString("base64url")}`;
    const apiEnv = {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      SESAME_CACHE_PREFIX: `sesame-bench:${randomBytes(6).toString("hex")}:`,
      SESAME_ROOT_KEY: rootKey,
      SESAME_ISSUER: ISSUER,
      SESAME_AUDIENCE: AUDIENCE,
      SESAME_SIGNING_KEYS: JSON.stringify({ keys: [key] }),
      SESAME_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      SESAME_INTROSPECTION_SECRET: randomBytes(32).toString("base64url"),
      LOG_LEVEL: "info",
    };
    const api = await startProcess(here("../src/main.ts"), apiEnv, (line) => /listening on (http:\/\/[^"\s]+)/.exec(line)?.[1] ?? null);
    cleanups.unshift(() => stop(api.child));
    // The floor's pool is the size the API picks for itself (DATABASE_POOL_MAX, else its default).
    const poolMax = Number(process.env.DATABASE_POOL_MAX) || DEFAULT_POOL_MAX;
    const floor = await startProcess(
      here("./floor-server.ts"),
      { BENCH_FLOOR: JSON.stringify({ databaseUrl: databaseUrl, poolMax, issuer: ISSUER, audience: AUDIENCE, publicJwk: key.publicJwk, privateJwk: key.privateJwk, kid: key.kid }) },
      (line) => (line.startsWith("{") ? ((JSON.parse(line) as { url?: string }).url ?? null) : null),
    );
    cleanups.unshift(() => stop(floor.child));

    // Data: a tenant and its key, users with a couple of sessions each, a signed-in user.
    const root = createSesameClient({ url: api.url, apiKey: rootKey });
    const { tenant, key: apiKey } = await root.tenants.create.mutate({ code: `B${randomBytes(4).toString("hex").toUpperCase()}`, name: "Bench" });
    const admin = createSesameClient({ url: api.url, apiKey });
    const users = (await db`
      insert into users (tenant_id, username, username_key, status)
      select ${tenant.id}::uuid, 'bench-' || g, 'bench-' || g, 'active' from generate_series(1, 2000) g returning id`).map((r) => r.id as string);
    await db`
      insert into sessions (tenant_id, user_id, provider, expires_at)
      select ${tenant.id}::uuid, id, 'admin', now() + interval '1 day' from users, generate_series(1, 2) where tenant_id = ${tenant.id}`;
    // Planner statistics, as autovacuum would have them on a database in use. Without them the
    // planner, which takes the freshly filled tables for empty, reads a user by its tenant's index
    // (all 2,000 entries) instead of its primary key, and a user's sessions likewise.
    await db`analyze`;
    const signedIn = await admin.sessions.create.mutate({ userId: users[0]! });
    // Refresh chains: each request takes a live token and puts back its child, so no two
    // connections ever present one token (that would be reuse, or a grace replay). A run that
    // stops with requests in flight loses their children: up to CONNECTIONS per warm-up and per
    // measured run, so each chain starts with enough for every round and one spare set.
    const chains = { api: [] as string[], floor: [] as string[] };
    for (const target of ["api", "floor"] as const) {
      for (let i = 0; i < CONNECTIONS * (2 * ROUNDS + 1); i++) chains[target].push((await admin.sessions.create.mutate({ userId: users[100 + i]! })).refreshToken);
    }

    let next = 0;
    const anyUser = () => users[next++ % users.length]!;
    const adminAuth = { authorization: `Bearer ${apiKey}` };
    const rows: Row[] = [
      { id: "auth.me", procedure: "auth.me", request: () => ({ method: "GET", headers: { authorization: `Bearer ${signedIn.accessToken}` } }) },
      { id: "tenants.get", procedure: "tenants.get", request: () => ({ method: "GET", headers: adminAuth }) },
      { id: "users.get", procedure: "users.get", request: () => ({ method: "POST", headers: adminAuth, body: () => JSON.stringify({ userId: anyUser() }) }) },
      { id: "sessions.list", procedure: "sessions.list", request: () => ({ method: "POST", headers: adminAuth, body: () => JSON.stringify({ userId: anyUser() }) }) },
      {
        id: "sessions.create",
        procedure: "sessions.create",
        request: () => ({ method: "POST", headers: adminAuth, body: () => JSON.stringify({ userId: anyUser(), client: { userAgent: "bench/1.0" } }) }),
      },
      {
        id: "auth.refresh",
        procedure: "auth.refresh",
        request: (target) => ({
          method: "POST",
          headers: {},
          body: () => JSON.stringify({ refreshToken: chains[target].shift() }),
          onResponse: (body) => {
            const child = /"refreshToken":"(rt_[^"]+)"/.exec(body)?.[1];
            if (child) chains[target].push(child);
          },
        }),
      },
    ];
    const only = process.env.BENCH_ROWS?.split(",").filter(Boolean);
    /** The median round's figures, every round's ratio, and the failures of all rounds. */
    const results: { row: Row; api: Measured; floor: Measured; ratios: number[]; failures: { api: number; floor: number } }[] = [];
    for (const row of only ? rows.filter((r) => only.includes(r.id)) : rows) {
      const rounds: { api: Measured; floor: Measured; ratio: number }[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        process.stderr.write(`measuring ${row.id} (round ${round} of ${ROUNDS})…\n`);
        const measureApi = () => measure(api.url, `/trpc/${row.procedure}`, row.request("api"), api.child.pid!);
        const measureFloor = () => measure(floor.url, `/${row.procedure}`, row.request("floor"), floor.child.pid!);
        // Alternating which goes first: neither always gets the quieter moment of a shared machine.
        let apiResult: Measured;
        let floorResult: Measured;
        if (round % 2 === 1) {
          apiResult = await measureApi();
          floorResult = await measureFloor();
        } else {
          floorResult = await measureFloor();
          apiResult = await measureApi();
        }
        rounds.push({ api: apiResult, floor: floorResult, ratio: apiResult.rps / floorResult.rps });
      }
      const median = medianBy(rounds, (r) => r.ratio);
      const failures = (side: "api" | "floor") => rounds.reduce((sum, r) => sum + r[side].failures, 0);
      results.push({ row, api: median.api, floor: median.floor, ratios: rounds.map((r) => r.ratio), failures: { api: failures("api"), floor: failures("floor") } });
    }

    const pad = (text: string | number, width: number) => String(text).padEnd(width);
    console.log(
      `\napi bench: ${CONNECTIONS} connections, ${SECONDS} s per row (after 1 s warm-up), ${ROUNDS} round(s) per row (the median round printed), pool ${poolMax}, Node ${process.version}, real Postgres + TCP Redis\n`,
    );
    const cpu = (us: number) => (us > 0 ? us.toFixed(0) : "–");
    console.log(
      `${pad("row", 18)}${pad("API req/s", 11)}${pad("p50", 6)}${pad("p99", 6)}${pad("floor req/s", 13)}${pad("p50", 6)}${pad("p99", 6)}${pad("× floor", 9)}${pad("CPU µs/req API", 16)}${pad("floor", 7)}${pad("Postgres API/floor", 20)}${pad("failures", 10)}× floor, every round`,
    );
    for (const { row, api: a, floor: f, ratios, failures } of results) {
      console.log(
        `${pad(row.id, 18)}${pad(a.rps.toFixed(0), 11)}${pad(a.p50, 6)}${pad(a.p99, 6)}${pad(f.rps.toFixed(0), 13)}${pad(f.p50, 6)}${pad(f.p99, 6)}${pad((a.rps / f.rps).toFixed(2), 9)}${pad(cpu(a.cpuUs), 16)}${pad(cpu(f.cpuUs), 7)}${pad(`${cpu(a.postgresCpuUs)}/${cpu(f.postgresCpuUs)}`, 20)}${pad(`${failures.api}/${failures.floor}`, 10)}${ratios.map((r) => r.toFixed(2)).join(" ")}`,
      );
    }
    console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(", ")} (${cpus().length} cores)`);
    if (results.some((r) => r.failures.api > 0 || r.failures.floor > 0)) {
      console.error("\nsome rows had non-2xx answers or errors (API/floor): their figures are not comparable");
      process.exitCode = 1;
    }
  });
}

await main();
