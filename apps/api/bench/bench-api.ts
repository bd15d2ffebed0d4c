/**
 * What every API benchmark stands on: a throwaway database `sesame_bench_<hex>` on DATABASE_URL
 * (created, migrated and dropped), and for the in-process benches the API with the Upstash-compatible
 * shim, in front of REDIS_URL when set, in memory otherwise.
 */
import { randomBytes } from "node:crypto";
import { startUpstashShim, type SesameBackends } from "@sesame/dev-services";
import postgres from "postgres";
import { runMigrations } from "../src/db/migrate.ts";
import { startApi, type ApiHarness, type HarnessOptions } from "../test/harness.ts";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL || undefined;

/** What a bench registers to undo; run newest first, whatever happened. */
export type Cleanups = (() => Promise<unknown>)[];

/** A throwaway, migrated database `sesame_bench_<hex>` on DATABASE_URL, dropped afterwards. */
export async function withBenchDatabase(run: (databaseUrl: string, cleanups: Cleanups) => Promise<void>): Promise<void> {
  const databaseName = `sesame_bench_${randomBytes(6).toString("hex")}`;
  const server = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined });
  const databaseUrl = new URL(DATABASE_URL);
  databaseUrl.pathname = `/${databaseName}`;
  const cleanups: Cleanups = [];
  try {
    await server.unsafe(`CREATE DATABASE "${databaseName}"`);
    cleanups.unshift(() => server.unsafe(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`));
    await runMigrations(databaseUrl.toString());
    await run(databaseUrl.toString(), cleanups);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error("cleanup failed:", error));
    await server.end({ timeout: 5 });
  }
}

/** The in-process API (test harness) on a throwaway database and the Upstash-compatible shim; `config` adds settings. */
export async function withBenchApi(
  run: (api: ApiHarness, backends: SesameBackends, cleanups: Cleanups) => Promise<void>,
  config: NonNullable<HarnessOptions["config"]> = {},
): Promise<void> {
  await withBenchDatabase(async (databaseUrl, cleanups) => {
    const shim = await startUpstashShim({ token: randomBytes(24).toString("base64url"), redisUrl: REDIS_URL });
    cleanups.unshift(() => shim.close());
    const backends: SesameBackends = {
      databaseUrl,
      upstash: { url: shim.url, token: shim.token },
      redisUrl: REDIS_URL ?? null,
      cachePrefix: `sesame-bench:${randomBytes(6).toString("hex")}:`,
      description: { postgres: "real", cache: REDIS_URL ? "redis (via shim)" : "memory (via shim)" },
    };
    const api = await startApi({ backends, config: { ...config, database: { url: databaseUrl, embedded: false, poolMax: 10 } } });
    cleanups.unshift(() => api.stop());
    await run(api, backends, cleanups);
  });
}
