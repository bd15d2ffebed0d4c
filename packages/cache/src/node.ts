/**
 * `@sesame/cache/node`: `createCache` for Node processes, with every backend (Upstash REST,
 * TCP Redis, Redis Cluster). Edge runtimes import
 * `createUpstashCache` from `@sesame/cache` instead, so their bundles never pull in ioredis.
 */
import type { Cache, CacheOptions } from "./cache.ts";
import type { CacheConfig } from "./config.ts";
import { createIoredisCache } from "./ioredis-cache.ts";
import { createUpstashCache } from "./upstash-cache.ts";

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
  return config.kind === "upstash" ? createUpstashCache(config, options) : createIoredisCache(config, options);
}
