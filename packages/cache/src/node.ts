/**
 * `@sesame/cache/node`: `createCache` for Node processes, with every backend (Upstash REST,
 * TCP Redis, Redis Cluster). Edge runtimes import
 * `createUpstashCache` from `@sesame/cache` instead, so their bundles never pull in ioredis.
 */
import type { Cache, CacheOptions } from "./cache.ts";
import type { CacheConfig } from "./config.ts";
import { createIoredisCache } from "./ioredis-cache.ts";
import { createPooledUpstashCache } from "./upstash-node.ts";

/**
 * The session store and the limiter over one connection to the configured cache.
 *
 * @example
 * const cache = createCache(config.cache, { now });
 * await cache.store.put(entry, now());
 * const decision = await cache.limiter.limit(`login:${ip}`, { max: 60, windowSeconds: 60 });
 * await cache.close();
 */
export function createCache(config: CacheConfig, options: CacheOptions = {}): Cache {
  // On Node the Upstash client's requests go through undici's pool (upstash-node.ts).
  return config.kind === "upstash" ? createPooledUpstashCache(config, options) : createIoredisCache(config, options);
}
