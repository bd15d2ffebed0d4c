/**
 * `@sesame/cache`: the session cache store port and its fetch-only Upstash implementation.
 * The TCP (ioredis) implementation is a separate entry, `@sesame/cache/ioredis`, so edge bundles
 * never pull in ioredis.
 */
export { CacheUnavailableError } from "./errors.ts";
export { DEFAULT_CACHE_PREFIX, DEFAULT_CACHE_TIMEOUT_MS, type SessionCacheStore } from "./store.ts";
export { PUT_ENTRY_SCRIPT, buildPutEntryArgs } from "./put-script.ts";
export { createUpstashSessionStore, type UpstashSessionStoreOptions } from "./upstash-store.ts";
export { withDeadline } from "./deadline.ts";
