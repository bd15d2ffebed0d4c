/**
 * Cache writes that nothing depends on: introspection re-filling an entry from Postgres, and a
 * refresh extending its session's lease. A write that fails only means the next request misses
 * and asks the API again, so these go straight to the cache, not through the outbox. The cache's
 * compare-and-set keeps them from overwriting a newer entry or any tombstone.
 */
import type { CacheEntry } from "@sesame/core";
import type { AppDeps } from "../../deps.ts";

export async function refillCacheQuietly(deps: AppDeps, entry: CacheEntry, now: Date): Promise<void> {
  try {
    await deps.cache.put(entry, now);
  } catch (error) {
    deps.logger.debug({ err: error, sessionId: entry.sid }, "cache re-fill failed; the edge will introspect");
  }
}
