import { describe, expect, it } from "vitest";
import {
  TOMBSTONE_TTL_SECONDS,
  cacheEntryTtlMs,
  decodeCacheEntry,
  encodeCacheEntry,
  evaluateCacheEntry,
  sessionCacheKey,
  type ActiveCacheEntry,
  type RevokedCacheEntry,
} from "./cache-entry.ts";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "./tokens.ts";

const now = new Date("2026-01-01T00:00:00Z");
const t = now.getTime();
const active: ActiveCacheEntry = {
  f: 1, kind: "active", version: 7, sid: "s", uid: "u", tid: "t", gen: 2, groups: ["a"], expiresAt: t + 3_600_000, leaseUntil: t + 30_000,
};
const revoked: RevokedCacheEntry = { f: 1, kind: "revoked", version: 8, sid: "s", reason: "session_revoked", revokedAt: t };

describe("cache entry encoding", () => {
  it("puts version first so the compare-and-set script can read it", () => {
    expect(encodeCacheEntry(active).startsWith('{"version":7,')).toBe(true);
    expect(encodeCacheEntry(revoked).startsWith('{"version":8,')).toBe(true);
  });
  it("round-trips through a string and through an already-parsed object", () => {
    expect(decodeCacheEntry(encodeCacheEntry(active))).toEqual(active);
    expect(decodeCacheEntry(JSON.parse(encodeCacheEntry(revoked)))).toEqual(revoked);
  });
  it("treats malformed and foreign values as absent", () => {
    expect(decodeCacheEntry("{not json")).toBeNull();
    expect(decodeCacheEntry({ kind: "active" })).toBeNull();
    expect(decodeCacheEntry(42)).toBeNull();
  });
  it("namespaces keys by prefix", () => {
    expect(sessionCacheKey("sesame:", "abc")).toBe("sesame:session:abc");
  });
});

describe("cacheEntryTtlMs", () => {
  it("keeps tombstones longer than any access token can live", () => {
    expect(cacheEntryTtlMs(revoked, now)).toBe(TOMBSTONE_TTL_SECONDS * 1000);
    expect(TOMBSTONE_TTL_SECONDS).toBeGreaterThan(MAX_ACCESS_TOKEN_TTL_SECONDS);
  });
  it("expires active entries at the lease or the session's end, whichever is first", () => {
    expect(cacheEntryTtlMs(active, now)).toBe(30_000);
    expect(cacheEntryTtlMs({ ...active, expiresAt: t + 5_000 }, now)).toBe(5_000);
  });
});

describe("evaluateCacheEntry", () => {
  it("allows an active entry within its lease, with the cached groups", () => {
    expect(evaluateCacheEntry(active, 2, now)).toEqual({ decision: "allow", groups: ["a"] });
  });
  it("asks for revalidation when absent or past the lease", () => {
    expect(evaluateCacheEntry(null, 2, now)).toEqual({ decision: "revalidate" });
    expect(evaluateCacheEntry(active, 2, new Date(t + 30_000))).toEqual({ decision: "revalidate" });
  });
  it("rejects a tombstone with its reason", () => {
    expect(evaluateCacheEntry(revoked, 2, now)).toEqual({ decision: "reject", reason: "session_revoked" });
  });
  it("rejects a token from an older generation of the session", () => {
    expect(evaluateCacheEntry(active, 1, now)).toEqual({ decision: "reject", reason: "session_revoked" });
  });
  it("revalidates a token from a newer generation than the cache knows", () => {
    expect(evaluateCacheEntry(active, 3, now)).toEqual({ decision: "revalidate" });
  });
  it("rejects an active entry whose session has expired", () => {
    expect(evaluateCacheEntry({ ...active, expiresAt: t }, 2, now)).toEqual({ decision: "reject", reason: "session_expired" });
  });
});
