/** Builds the process's dependencies from the resolved configuration. */
import { createCache } from "@sesame/cache/node";
import type { ApiConfig } from "./config.ts";
import { createDb } from "./db/client.ts";
import type { AppDeps } from "./deps.ts";
import { sql } from "drizzle-orm";
import { createLogger } from "./lib/logger.ts";
import { countingLimiter, createApiMetrics } from "./lib/metrics.ts";
import { createMailer } from "./lib/mailer.ts";
import { listenForApiKeyRevocations } from "./services/api-keys/api-key-cache.ts";
import { createFileKeyRing, loadKeyRing, parseKeySet, readOrCreateKeyFile, generateStoredKey } from "./lib/signing-keys.ts";

export async function createDeps(config: ApiConfig, overrides: Partial<AppDeps> = {}): Promise<AppDeps & { close(): Promise<void> }> {
  const now = overrides.now ?? (() => new Date());
  const keySet =
    config.signingKeys.kind === "inline"
      ? parseKeySet(config.signingKeys.json)
      : config.signingKeys.kind === "file"
        ? await readOrCreateKeyFile(config.signingKeys.path, now(), config.signingAlgorithm)
        : { keys: [await generateStoredKey(now(), config.signingAlgorithm)] };
  const { db, sql: pg, openListener, close: closeDb } = createDb({ url: config.database.url, max: config.database.poolMax, prepare: config.database.prepare ?? true });
  // One connection for the session store and the limiter; the limiter's windows follow `now`.
  const cache = createCache(config.cache, { now });
  const logger = createLogger(config.logLevel);
  // A key file is followed, so `npm run keys:rotate` reaches the running API without a restart.
  const keys =
    config.signingKeys.kind === "file"
      ? createFileKeyRing(config.signingKeys.path, keySet, {
          onReload: (kid) => logger.info({ kid }, "signing keys reloaded"),
          onError: (error) => logger.warn({ err: error }, "signing key file changed but could not be read; keeping the previous keys"),
        })
      : await loadKeyRing(keySet);
  const database = overrides.db ?? db;
  const metrics =
    overrides.metrics ??
    createApiMetrics({
      // Reads only the pending rows (found through the partial index cache_outbox_pending_idx).
      outboxBacklog: async () => {
        const [row] = await database.execute<{ pending: number; oldest: number }>(sql`
          select count(*)::int as pending, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
          from cache_outbox where delivered_at is null`);
        return { pending: Number(row?.pending ?? 0), oldestAgeSeconds: Math.max(0, Number(row?.oldest ?? 0)) };
      },
    });
  const deps: AppDeps = {
    config,
    db,
    cache: cache.store,
    keys,
    logger,
    limiter: countingLimiter(cache.limiter, metrics),
    mailer: createMailer(config.mail, logger),
    now,
    metrics,
    ...overrides,
  };
  // Embedded Postgres serves one connection, and one process: a revocation there is forgotten at once anyway.
  const revocations = config.database.embedded ? null : listenForApiKeyRevocations(pg, openListener, deps.db, logger, config.database.revocationHeartbeatMs);
  return {
    ...deps,
    async close() {
      await revocations?.close();
      deps.mailer.close();
      await cache.close();
      await closeDb();
    },
  };
}
