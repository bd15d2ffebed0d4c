import type { CacheEntry } from "@sesame/core";

/** The edge saw this session (allowed) at this time. */
export interface SeenMark {
  sessionId: string;
  seenAt: Date;
}

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
  /**
   * Records "seen" marks in one write (`seenMarksKey`). `onlyNew`: keep a mark already there (the
   * API putting back marks it could not fold must not overwrite a newer one).
   */
  markSeen(marks: SeenMark[], options?: { onlyNew?: boolean }): Promise<void>;
  /** Removes and returns up to `max` marks, earliest first, atomically: two takers never get the same mark. */
  takeSeen(max: number): Promise<SeenMark[]>;
  /** Resolves when the cache answers; throws `CacheUnavailableError` otherwise. */
  ping(): Promise<void>;
}


/** ZADD's score/member pairs for `marks`. */
export function seenMarkArgs(marks: SeenMark[]): string[] {
  return marks.flatMap((mark) => [String(mark.seenAt.getTime()), mark.sessionId]);
}

/** ZPOPMIN's flat member/score reply as marks; anything malformed is dropped. */
export function seenMarksFromReply(reply: unknown): SeenMark[] {
  if (!Array.isArray(reply)) return [];
  const marks: SeenMark[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const sessionId = reply[i];
    const score = Number(reply[i + 1]);
    if (typeof sessionId === "string" && Number.isFinite(score)) marks.push({ sessionId, seenAt: new Date(score) });
  }
  return marks;
}
