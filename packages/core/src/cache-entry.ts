/**
 * The cache entry for one session, shared by the API (writer) and the edge (reader).
 *
 * Active entries carry a lease: after `leaseUntil` the edge stops trusting the entry and asks the
 * API again. The lease bounds how long a revocation whose cache write failed can go unnoticed.
 * Tombstones outlive every access token that could name the session.
 */
// zod/mini: the edge parses every entry it reads with these, also on Workers (see service-kit's env.ts).
import * as z from "zod/mini";
import { SESSION_REJECTIONS, type SessionRejection } from "./errors.ts";
import { CLOCK_TOLERANCE_SECONDS, MAX_ACCESS_TOKEN_TTL_SECONDS } from "./tokens.ts";

export const CACHE_ENTRY_FORMAT = 1;
/** Default lease on active entries: 30 seconds. */
export const DEFAULT_LEASE_SECONDS = 30;
/** Maximum lease the API accepts in its configuration. */
export const MAX_LEASE_SECONDS = 60;
/** Tombstones live as long as the longest access token plus skew, so no token outlives its tombstone. */
export const TOMBSTONE_TTL_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + 2 * CLOCK_TOLERANCE_SECONDS + 60;

export const activeCacheEntrySchema = z.object({
  f: z.literal(CACHE_ENTRY_FORMAT),
  kind: z.literal("active"),
  version: z.number().check(z.int(), z.minimum(0)),
  sid: z.string(),
  uid: z.string(),
  tid: z.string(),
  gen: z.number().check(z.int(), z.minimum(1)),
  groups: z.array(z.string()),
  /** MFA factors verified in the session (`requireFactors` at the edge); entries written before it existed have none. */
  factors: z._default(z.array(z.string()), []),
  /** Epoch milliseconds. */
  expiresAt: z.number().check(z.int()),
  /** Epoch milliseconds. */
  leaseUntil: z.number().check(z.int()),
});
export const revokedCacheEntrySchema = z.object({
  f: z.literal(CACHE_ENTRY_FORMAT),
  kind: z.literal("revoked"),
  version: z.number().check(z.int(), z.minimum(0)),
  sid: z.string(),
  reason: z.enum(SESSION_REJECTIONS),
  /** Epoch milliseconds. */
  revokedAt: z.number().check(z.int()),
});
export const cacheEntrySchema = z.discriminatedUnion("kind", [activeCacheEntrySchema, revokedCacheEntrySchema]);

export type ActiveCacheEntry = z.infer<typeof activeCacheEntrySchema>;
export type RevokedCacheEntry = z.infer<typeof revokedCacheEntrySchema>;
export type CacheEntry = z.infer<typeof cacheEntrySchema>;

/** The Redis key of a session's entry. `prefix` lets several deployments or test runs share one Redis. */
export function sessionCacheKey(prefix: string, sessionId: string): string {
  return `${prefix}session:${sessionId}`;
}

/**
 * The sorted set of "seen" marks: member = session id, score = when the edge last saw it (epoch ms).
 * The edge adds at most one a minute per session; the API pops them and folds them into
 * `sessions.last_connected_at` in batches.
 */
export function seenMarksKey(prefix: string): string {
  return `${prefix}seen`;
}

/** How coarse "last seen" is: the edge records a session at most once in this many milliseconds. */
export const SEEN_MARK_INTERVAL_MS = 60_000;

/**
 * Serialises an entry. `version` is always the first field so the writer's compare-and-set script
 * can read it without a JSON parser.
 */
export function encodeCacheEntry(entry: CacheEntry): string {
  const { version, ...rest } = entry;
  return JSON.stringify({ version, ...rest });
}

/** Parses an entry; a malformed or foreign value is treated as absent (null). */
export function decodeCacheEntry(raw: unknown): CacheEntry | null {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  const parsed = cacheEntrySchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export interface CacheEntryDecoderOptions {
  /** Distinct raw values remembered; default 10 000 (a few MB). The oldest goes first. */
  max?: number;
}

/**
 * `decodeCacheEntry` for a reader that sees the same raw values over and over (the edge reads one
 * entry per request): each distinct raw string is parsed and validated once. Keyed by the exact
 * string, so any write (a revocation, a new lease, new groups) is a new key and is decoded afresh;
 * the entry never outlives the string it came from. Entries are frozen, since every request that
 * read the same string shares them.
 *
 * @example
 * const decode = createCacheEntryDecoder();
 * const entry = decode(await redis.get(key));
 */
export function createCacheEntryDecoder(options: CacheEntryDecoderOptions = {}): (raw: unknown) => CacheEntry | null {
  const max = options.max ?? 10_000;
  if (!Number.isInteger(max) || max < 1) throw new TypeError("createCacheEntryDecoder: max must be a positive integer");
  // A Map in insertion order, oldest dropped first: a hit costs one lookup, where an LRU's
  // bookkeeping would cost as much as the lookup again. Malformed values are remembered as null too.
  const decoded = new Map<string, CacheEntry | null>();
  return (raw) => {
    if (typeof raw !== "string") return decodeCacheEntry(raw);
    const known = decoded.get(raw);
    if (known !== undefined) return known;
    const entry = decodeCacheEntry(raw);
    if (entry) {
      if (entry.kind === "active") {
        Object.freeze(entry.groups);
        Object.freeze(entry.factors);
      }
      Object.freeze(entry);
    }
    if (decoded.size >= max) decoded.delete(decoded.keys().next().value!);
    decoded.set(raw, entry);
    return entry;
  };
}

/** Redis TTL for an entry written at `now`, in milliseconds (always ≥ 1). */
export function cacheEntryTtlMs(entry: CacheEntry, now: Date): number {
  if (entry.kind === "revoked") return TOMBSTONE_TTL_SECONDS * 1000;
  return Math.max(1, Math.min(entry.leaseUntil, entry.expiresAt) - now.getTime());
}

/** The session fields an active entry is built from (a Postgres session row has them all). */
export interface ActiveEntrySource {
  id: string;
  userId: string;
  tenantId: string;
  version: number;
  generation: number;
  accessGroups: string[];
  factors: string[];
  expiresAt: Date;
}

/**
 * The entry that lets the edge accept the session until `leaseUntil` without asking the API.
 *
 * @example
 * await store.put(activeCacheEntry(sessionRow, { leaseSeconds: 30, now }), now);
 */
export function activeCacheEntry(session: ActiveEntrySource, options: { leaseSeconds: number; now: Date }): ActiveCacheEntry {
  return {
    f: CACHE_ENTRY_FORMAT,
    kind: "active",
    version: session.version,
    sid: session.id,
    uid: session.userId,
    tid: session.tenantId,
    gen: session.generation,
    groups: session.accessGroups,
    factors: session.factors,
    expiresAt: session.expiresAt.getTime(),
    leaseUntil: options.now.getTime() + options.leaseSeconds * 1000,
  };
}

/**
 * What the edge exposes of an accepted session: `c.var.session` in its handlers. Read-only: the
 * groups and factors arrays are shared by every request that read the same cache entry
 * (`createCacheEntryDecoder`) and are frozen, so a handler cannot change what the next request
 * sees. Copy them (`[...session.groups]`) to build on them.
 */
export interface EdgeSession {
  userId: string;
  sessionId: string;
  tenantId: string;
  groups: readonly string[];
  /** MFA factors verified in the session (`requireFactors`). */
  factors: readonly string[];
}

/**
 * The one place an entry becomes what the edge exposes, whether the entry came from the cache or
 * from the API's introspection answer (`decideEdgeAccess` hands it to the edge in its `allow`).
 */
export function edgeSessionFromEntry(entry: ActiveCacheEntry): EdgeSession {
  return { userId: entry.uid, sessionId: entry.sid, tenantId: entry.tid, groups: entry.groups, factors: entry.factors };
}

/**
 * The entry that makes the edge refuse the session with `reason` (from `checkSessionAcceptance` or
 * `signedOutReason`), written at the session's new `version` so no older active entry can replace it.
 */
export function tombstoneCacheEntry(session: { id: string; version: number }, reason: SessionRejection, now: Date): RevokedCacheEntry {
  return { f: CACHE_ENTRY_FORMAT, kind: "revoked", version: session.version, sid: session.id, reason, revokedAt: now.getTime() };
}
