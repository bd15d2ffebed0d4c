/**
 * Keeps the Redis cache of sessions in step with Postgres. Entries are first written to the
 * outbox inside the change's own transaction; after commit they are delivered at once, and a
 * worker retries whatever could not be delivered until it lands. The cache's compare-and-set by
 * `version` makes redelivery and out-of-order delivery harmless.
 */
import { activeCacheEntry, encodeCacheEntry, decodeCacheEntry, type CacheEntry } from "@sesame/core";
import { and, asc, inArray, isNull, lte, sql } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import type { DbOrTx } from "../../db/client.ts";
import { cacheOutbox, type SessionRow } from "../../db/schema.ts";

/** Queues entries in the caller's transaction; returns the outbox ids to deliver after commit. */
export async function enqueueCacheEntries(tx: DbOrTx, entries: CacheEntry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const rows = await tx
    .insert(cacheOutbox)
    .values(entries.map((e) => ({ sessionId: e.sid, entry: encodeCacheEntry(e) })))
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
  if (outboxIds.length > 0) {
    await deps.db.update(cacheOutbox).set({ deliveredAt: deps.now() }).where(inArray(cacheOutbox.id, outboxIds));
  }
  return true;
}

/** One pass of the retry worker: delivers due outbox rows in id order. Returns how many landed. */
export async function drainCacheOutbox(deps: AppDeps, batchSize = 200): Promise<number> {
  const now = deps.now();
  const due = await deps.db
    .select()
    .from(cacheOutbox)
    .where(and(isNull(cacheOutbox.deliveredAt), lte(cacheOutbox.nextAttemptAt, now)))
    .orderBy(asc(cacheOutbox.id))
    .limit(batchSize);
  if (due.length === 0) return 0;
  const entries = due.map((r) => decodeCacheEntry(r.entry)).filter((e): e is CacheEntry => e !== null);
  try {
    await deps.cache.putMany(entries, now);
  } catch (error) {
    // Back off per row: 1 s, 2 s, 4 s … capped at 30 s, so a long outage does not hammer the cache.
    await deps.db
      .update(cacheOutbox)
      .set({
        attempts: sql`${cacheOutbox.attempts} + 1`,
        nextAttemptAt: sql`now() + least(power(2, ${cacheOutbox.attempts}), 30) * interval '1 second'`,
      })
      .where(inArray(cacheOutbox.id, due.map((r) => r.id)));
    deps.logger.warn({ err: error, pending: due.length }, "cache outbox delivery failed; will retry");
    return 0;
  }
  await deps.db.update(cacheOutbox).set({ deliveredAt: deps.now() }).where(inArray(cacheOutbox.id, due.map((r) => r.id)));
  return due.length;
}

/** Runs the retry worker every `intervalMs` until stopped. Delivered rows older than a day are pruned. */
export function startCacheOutboxWorker(deps: AppDeps, intervalMs = 1000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let ticks = 0;
  const tick = async () => {
    await drainCacheOutbox(deps);
    if (++ticks % 600 === 0) {
      await deps.db.delete(cacheOutbox).where(lte(cacheOutbox.deliveredAt, new Date(deps.now().getTime() - 86_400_000)));
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(tick).catch((error) => deps.logger.error({ err: error }, "cache outbox worker pass failed"));
  }, intervalMs);
  timer.unref?.();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** Best-effort write of an active entry (session created or refreshed); a miss falls back to introspection. */
export async function cacheActiveSession(deps: AppDeps, session: SessionRow): Promise<void> {
  try {
    const now = deps.now();
    await deps.cache.put(activeCacheEntry(session, { leaseSeconds: deps.config.leaseSeconds, now }), now);
  } catch (error) {
    deps.logger.debug({ err: error, sessionId: session.id }, "active cache entry not written");
  }
}
