/**
 * "Last seen" at edge speed: the edge notes each session it admits in the cache at most once per
 * clock minute (`SEEN_MARK_INTERVAL_MS`), with one write, never per request; the API folds the marks
 * into `sessions.last_connected_at` in batches. Between marks a request costs one Set lookup.
 */
import { SEEN_MARK_INTERVAL_MS } from "@sesame/core";
import type { SessionCacheStore } from "@sesame/cache";

/** Returns the write when this request is the session's first in the current minute, else undefined. */
export type SeenRecorder = (sessionId: string, now: Date) => Promise<void> | undefined;

export function createSeenRecorder(store: SessionCacheStore, onError: (sessionId: string, error: unknown) => void, intervalMs = SEEN_MARK_INTERVAL_MS): SeenRecorder {
  let minute = -1;
  // Only this minute's sessions: the set starts afresh each minute, so it stays as small as the traffic.
  let marked = new Set<string>();
  return (sessionId, now) => {
    const current = Math.floor(now.getTime() / intervalMs);
    if (current !== minute) {
      minute = current;
      marked = new Set();
    }
    if (marked.has(sessionId)) return undefined;
    // Marked before the write lands: a failed write is retried next minute, not on every request.
    marked.add(sessionId);
    return store.markSeen([{ sessionId, seenAt: now }]).catch((error: unknown) => onError(sessionId, error));
  };
}
