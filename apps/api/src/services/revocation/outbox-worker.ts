/**
 * The cache outbox's retry worker: delivers what a change could not write to the cache at commit.
 * Every API process runs one; a pass claims its rows with `FOR UPDATE SKIP LOCKED` and moves their
 * `next_attempt_at` past the claim, so two processes never deliver the same row, and a process
 * that dies mid-delivery leaves its rows to the others once the claim runs out.
 */
import { decodeCacheEntry, type CacheEntry } from "@sesame/core";
import { and, asc, inArray, isNull, lte, sql } from "drizzle-orm";
import { cacheOutbox } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { foldSeenMarks } from "../sessions/seen-marks.ts";
import { markDelivered } from "./cache-outbox.ts";

/** Delivered rows are kept this long (for inspection), then pruned. */
const DELIVERED_RETENTION_MS = 86_400_000;
/** Prune once every this many passes. */
const PRUNE_EVERY_PASSES = 600;
/** Fold the edges' "seen" marks once every this many passes (marks are a minute coarse anyway). */
const FOLD_SEEN_EVERY_PASSES = 5;

/** How long a pass owns the rows it claimed; past it, another process may take them. */
const CLAIM_MS = 30_000;

/** One pass of the retry worker: claims due outbox rows and delivers them in id order. Returns how many landed. */
export async function drainCacheOutbox(deps: AppDeps, batchSize = 200): Promise<number> {
  const now = deps.now();
  const dueIds = deps.db
    .select({ id: cacheOutbox.id })
    .from(cacheOutbox)
    .where(and(isNull(cacheOutbox.deliveredAt), lte(cacheOutbox.nextAttemptAt, now)))
    .orderBy(asc(cacheOutbox.id))
    .limit(batchSize)
    .for("update", { skipLocked: true });
  const claimed = await deps.db
    .update(cacheOutbox)
    .set({ nextAttemptAt: new Date(now.getTime() + CLAIM_MS) })
    .where(inArray(cacheOutbox.id, dueIds))
    .returning({ id: cacheOutbox.id, entry: cacheOutbox.entry });
  if (claimed.length === 0) return 0;
  const due = claimed.sort((a, b) => a.id - b.id);
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
  // Rare (only after a failed write at commit); the ids let an operator follow a change.
  deps.logger.info({ delivered: ids.length, outboxIds: ids }, "cache outbox delivered");
  return due.length;
}

/**
 * Runs the retry worker every `intervalMs` until stopped, pruning delivered rows now and then and
 * folding the edges' "seen" marks into `last_connected_at` (services/sessions/seen-marks.ts).
 */
export function startCacheOutboxWorker(deps: AppDeps, intervalMs = 1000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let passes = 0;
  const pass = async () => {
    await drainCacheOutbox(deps);
    ++passes;
    if (passes % FOLD_SEEN_EVERY_PASSES === 0) {
      await foldSeenMarks(deps).catch((error: unknown) => deps.logger.warn({ err: error }, "folding seen marks failed; will retry"));
    }
    if (passes % PRUNE_EVERY_PASSES === 0) {
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
