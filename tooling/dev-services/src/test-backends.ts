/**
 * Backends for a test run: real servers when the environment names them, embedded ones otherwise.
 * Meant for vitest globalSetup files; see `provideBackends` for handing the result to tests.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { deleteKeysWithPrefix } from "./delete-keys-with-prefix.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { startUpstashShim } from "./start-upstash-shim.ts";
import type { SesameBackends } from "./vitest-provide.ts";

export interface TestBackends extends SesameBackends {
  /** Drops the test database, deletes the run's keys from `REDIS_URL`, stops what was started. */
  stop(): Promise<void>;
}

interface Started<T> {
  value: T;
  stop(): Promise<void>;
}

type TestDatabase = { url: string; kind: SesameBackends["description"]["postgres"]; label: string };
type TestCache = { upstash: SesameBackends["upstash"]; kind: SesameBackends["description"]["cache"] };

/**
 * Postgres: `DATABASE_URL` set → a fresh `sesame_test_<hex>` database on that server, dropped by
 * stop(); else embedded in memory. Cache: `UPSTASH_REDIS_REST_URL`/`_TOKEN` set → used as is; else
 * a shim on a free port in front of `REDIS_URL` when set, else in memory.
 */
export async function startTestBackends(env: NodeJS.ProcessEnv = process.env): Promise<TestBackends> {
  const database = await startTestDatabase(env.DATABASE_URL);
  let cache: Started<TestCache>;
  try {
    cache = await startTestCache(env);
  } catch (error) {
    await database.stop();
    throw error;
  }
  const backends: SesameBackends = {
    databaseUrl: database.value.url,
    upstash: cache.value.upstash,
    redisUrl: env.REDIS_URL || null,
    cachePrefix: `sesame-test:${randomBytes(6).toString("hex")}:`,
    description: { postgres: database.value.kind, cache: cache.value.kind },
  };
  console.log(`[sesame test backends] postgres=${database.value.kind} (${database.value.label}) cache=${cache.value.kind}`);
  return {
    ...backends,
    stop: async () => {
      // Keys on a shared Redis would outlive the run; on Upstash or in memory they go with their TTLs.
      const cleanup = backends.redisUrl ? deleteKeysWithPrefix(backends.redisUrl, backends.cachePrefix) : Promise.resolve();
      const results = await Promise.allSettled([cleanup.finally(() => cache.stop()), database.stop()]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}

/** Hands the backends (minus `stop`) to tests; they read them with `inject("sesameBackends")`. */
export function provideBackends(project: Pick<TestProject, "provide">, backends: SesameBackends): void {
  const { databaseUrl, upstash, redisUrl, cachePrefix, description } = backends;
  project.provide("sesameBackends", { databaseUrl, upstash, redisUrl, cachePrefix, description });
}

async function startTestDatabase(serverUrl: string | undefined): Promise<Started<TestDatabase>> {
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres();
    return { value: { url: embedded.url, kind: "embedded", label: "PGlite in memory" }, stop: embedded.close };
  }
  const name = `sesame_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    value: { url: url.toString(), kind: "real", label: name },
    stop: async () => {
      try {
        // FORCE: a test that leaked a connection must not keep the database alive.
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

async function startTestCache(env: NodeJS.ProcessEnv): Promise<Started<TestCache>> {
  if (env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN) {
    const upstash = { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN };
    return { value: { upstash, kind: "upstash" }, stop: async () => undefined };
  }
  const shim = await startUpstashShim({ token: randomBytes(24).toString("base64url"), redisUrl: env.REDIS_URL || undefined });
  return {
    value: { upstash: { url: shim.url, token: shim.token }, kind: env.REDIS_URL ? "redis (via shim)" : "memory (via shim)" },
    stop: shim.close,
  };
}
