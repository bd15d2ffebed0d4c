/** The cache outbox's retry worker: delivers what a change could not write to the cache at commit. */
import { decodeCacheEntry, type CacheEntry } from "@sesame/core";
import { and, asc, inArray, isNull, lte, sql } from "drizzle-orm";
import { cacheOutbox } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { markDelivered } from "./cache-outbox.ts";

/** Delivered rows are kept this long (for inspection), then pruned. */
const DELIVERED_RETENTION_MS = 86_400_000;
/** Prune once every this many passes. */
const PRUNE_EVERY_PASSES = 600;

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
  const ids = due.map((r) => r.id);
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
      .where(inArray(cacheOutbox.id, ids));
    deps.logger.warn({ err: error, pending: due.length }, "cache outbox delivery failed; will retry");
    return 0;
  }
  await markDelivered(deps, ids);
  return due.length;
}

/** Runs the retry worker every `intervalMs` until stopped, pruning delivered rows now and then. */
export function startCacheOutboxWorker(deps: AppDeps, intervalMs = 1000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let passes = 0;
  const pass = async () => {
    await drainCacheOutbox(deps);
    if (++passes % PRUNE_EVERY_PASSES === 0) {
      await deps.db.delete(cacheOutbox).where(lte(cacheOutbox.deliveredAt, new Date(deps.now().getTime() - DELIVERED_RETENTION_MS)));
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(pass).catch((error) => deps.logger.error({ err: error }, "cache outbox worker pass failed"));
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
