/**
 * `@sesame/cache`: the cache seam. Two ports over one connection per backend — the session store
 * and the rate limiter — one `CacheConfig` and its environment variables, and the fetch-only
 * Upstash implementation. `@sesame/cache/node` adds the TCP (ioredis) one and `createCache`, so edge
 * bundles never pull in ioredis.
 */
export type { Cache, CacheOptions } from "./cache.ts";
export { DEFAULT_CACHE_PREFIX, DEFAULT_CACHE_TIMEOUT_MS, type CacheConfig, type ClusterCacheConfig, type TcpCacheConfig, type UpstashCacheConfig } from "./config.ts";
export { cacheConfigFromEnv, cacheEnvShape, cacheKindFromEnv, clusterNodesSchema, requireCacheEnv, tcpCacheKindFromEnv, type CacheEnv } from "./cache-env.ts";
export { CacheUnavailableError } from "./errors.ts";
export type { SeenMark, SessionCacheStore } from "./store.ts";
export type { RateLimitDecision, RateLimitRule, RateLimiter } from "./rate-limiter.ts";
export { PUT_ENTRY_SCRIPT, buildPutEntryArgs } from "./put-script.ts";
export { createUpstashCache } from "./upstash-cache.ts";
export { withDeadline } from "./deadline.ts";
