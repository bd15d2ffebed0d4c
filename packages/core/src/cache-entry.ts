/**
 * The cache entry for one session, shared by the API (writer) and the edge (reader).
 *
 * Active entries carry a lease: after `leaseUntil` the edge stops trusting the entry and asks the
 * API again. The lease bounds how long a revocation whose cache write failed can go unnoticed.
 * Tombstones outlive every access token that could name the session.
 */
import { z } from "zod";
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
  version: z.number().int().min(0),
  sid: z.string(),
  uid: z.string(),
  tid: z.string(),
  gen: z.number().int().min(1),
  groups: z.array(z.string()),
  /** Epoch milliseconds. */
  expiresAt: z.number().int(),
  /** Epoch milliseconds. */
  leaseUntil: z.number().int(),
});
export const revokedCacheEntrySchema = z.object({
  f: z.literal(CACHE_ENTRY_FORMAT),
  kind: z.literal("revoked"),
  version: z.number().int().min(0),
  sid: z.string(),
  reason: z.enum(["session_revoked", "session_expired"]),
  /** Epoch milliseconds. */
  revokedAt: z.number().int(),
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

/** Redis TTL for an entry written at `now`, in milliseconds (always ≥ 1). */
export function cacheEntryTtlMs(entry: CacheEntry, now: Date): number {
  if (entry.kind === "revoked") return TOMBSTONE_TTL_SECONDS * 1000;
  return Math.max(1, Math.min(entry.leaseUntil, entry.expiresAt) - now.getTime());
}

export type CacheDecision =
  | { decision: "allow"; groups: string[] }
  | { decision: "reject"; reason: "session_revoked" | "session_expired" }
  | { decision: "revalidate" };

/**
 * What the edge does with an entry for a token of generation `tokenGeneration`.
 * A token from an older generation of the session (signed before it was signed out) is revoked.
 */
export function evaluateCacheEntry(entry: CacheEntry | null, tokenGeneration: number, now: Date): CacheDecision {
  if (!entry) return { decision: "revalidate" };
  if (entry.kind === "revoked") return { decision: "reject", reason: entry.reason };
  if (tokenGeneration < entry.gen) return { decision: "reject", reason: "session_revoked" };
  if (tokenGeneration > entry.gen) return { decision: "revalidate" };
  if (entry.expiresAt <= now.getTime()) return { decision: "reject", reason: "session_expired" };
  if (entry.leaseUntil <= now.getTime()) return { decision: "revalidate" };
  return { decision: "allow", groups: entry.groups };
}
