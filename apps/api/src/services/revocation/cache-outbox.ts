/**
 * The cache outbox: a session change writes its cache entries to `cache_outbox` in its own
 * transaction, and after commit they are delivered at once by the process that committed them.
 * Whatever could not be delivered stays in the outbox for the retry worker (outbox-worker.ts) of
 * any API process. The cache's compare-and-set by `version` makes redelivery and out-of-order
 * delivery harmless; each row is still written once: a new row is not due for the worker until
 * the committer has had its chance (`outboxGraceMs`), and the workers claim rows exclusively.
 */
import { encodeCacheEntry, type CacheEntry } from "@sesame/core";
import { inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { cacheOutbox } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";

/**
 * How long a new row is left to the process that committed it before a retry worker (of any
 * process) may take it: that process delivers it right after commit, within the cache's budget.
 */
export function outboxGraceMs(deps: Pick<AppDeps, "config">): number {
  return 2 * deps.config.cache.timeoutMs + 1_000;
}

/**
 * Queues entries in the caller's transaction, due for the retry worker at `dueAt` (now +
 * `outboxGraceMs`); returns the outbox ids to deliver after commit.
 */
export async function enqueueCacheEntries(tx: DbOrTx, entries: CacheEntry[], dueAt: Date): Promise<number[]> {
  if (entries.length === 0) return [];
  const rows = await tx
    .insert(cacheOutbox)
    .values(entries.map((e) => ({ sessionId: e.sid, entry: encodeCacheEntry(e), nextAttemptAt: dueAt })))
    .returning({ id: cacheOutbox.id });
  return rows.map((r) => r.id);
}

/**
 * Writes committed entries to the cache now. Returns true when every entry landed (or was already
 * superseded by a newer version); false leaves them in the outbox for the worker.
 */
export async function deliverCacheEntries(deps: AppDeps, outboxIds: number[], entries: CacheEntry[]): Promise<boolean> {
  if (entries.length === 0) return true;
  try {
    await deps.cache.putMany(entries, deps.now());
  } catch (error) {
    deps.logger.warn({ err: error, count: entries.length }, "cache write failed; left in the outbox for retry");
    return false;
  }
  await markDelivered(deps, outboxIds);
  return true;
}

export async function markDelivered(deps: AppDeps, outboxIds: number[]): Promise<void> {
  if (outboxIds.length === 0) return;
  await deps.db.update(cacheOutbox).set({ deliveredAt: deps.now() }).where(inArray(cacheOutbox.id, outboxIds));
}
