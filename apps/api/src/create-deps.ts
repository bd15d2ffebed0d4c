/** Builds the process's dependencies from the resolved configuration. */
import type { SessionCacheStore } from "@sesame/cache";
import { createUpstashSessionStore } from "@sesame/cache";
import { createIoredisSessionStore } from "@sesame/cache/ioredis";
import type { ApiConfig, CacheConfig } from "./config.ts";
import { createDb } from "./db/client.ts";
import type { AppDeps } from "./deps.ts";
import { createLogger } from "./lib/logger.ts";
import { loadKeyRing, parseKeySet, readOrCreateKeyFile, generateStoredKey } from "./lib/signing-keys.ts";
import { createRateLimiter } from "./services/rate-limiter.ts";

export function createCacheStore(cache: CacheConfig): SessionCacheStore {
  return cache.kind === "upstash"
    ? createUpstashSessionStore({ url: cache.url, token: cache.token, prefix: cache.prefix, timeoutMs: cache.timeoutMs })
    : createIoredisSessionStore({ redis: cache.url, prefix: cache.prefix, timeoutMs: cache.timeoutMs });
}

export async function createDeps(config: ApiConfig, overrides: Partial<AppDeps> = {}): Promise<AppDeps & { close(): Promise<void> }> {
  const now = () => new Date();
  const keySet =
    config.signingKeys.kind === "inline"
      ? parseKeySet(config.signingKeys.json)
      : config.signingKeys.kind === "file"
        ? await readOrCreateKeyFile(config.signingKeys.path, now())
        : { keys: [await generateStoredKey(now())] };
  const { db, close: closeDb } = createDb({ url: config.database.url, max: config.database.poolMax });
  const cache = overrides.cache ?? createCacheStore(config.cache);
  const deps: AppDeps = {
    config,
    db,
    cache,
    keys: await loadKeyRing(keySet),
    logger: createLogger(config.logLevel),
    limiter: createRateLimiter(config.cache),
    now,
    ...overrides,
  };
  return {
    ...deps,
    async close() {
      await cache.close?.();
      await closeDb();
    },
  };
}
