import type { CacheEntry } from "@sesame/core";

/**
 * The port between Sesame and the cache of session entries. The API writes through `put`/`putMany`;
 * the edge only reads through `get`. Every implementation passes `store-contract.test.ts`; its
 * connection belongs to the `Cache` it came from.
 */
export interface SessionCacheStore {
  /** The entry, or null when absent or malformed. Throws `CacheUnavailableError` on timeout or connection failure. */
  get(sessionId: string): Promise<CacheEntry | null>;
  /**
   * Compare-and-set by version, atomically: refuses when the stored entry has a higher version, or the
   * same version and is a tombstone while `entry` is active (so a stale "active" write never resurrects
   * a revoked session). Returns whether it wrote. TTL is `cacheEntryTtlMs(entry, now)`.
   */
  put(entry: CacheEntry, now: Date): Promise<boolean>;
  /** `put` for many entries in one round trip; one boolean per entry, in order. */
  putMany(entries: CacheEntry[], now: Date): Promise<boolean[]>;
  /** Resolves when the cache answers; throws `CacheUnavailableError` otherwise. */
  ping(): Promise<void>;
}

