import { describe, expect, it } from "vitest";
import {
  TOMBSTONE_TTL_SECONDS,
  activeCacheEntry,
  cacheEntryTtlMs,
  createCacheEntryDecoder,
  decodeCacheEntry,
  encodeCacheEntry,
  sessionCacheKey,
  tombstoneCacheEntry,
} from "./cache-entry.ts";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "./tokens.ts";

const now = new Date("2026-01-01T00:00:00Z");
const t = now.getTime();
const session = {
  id: "s", userId: "u", tenantId: "t", version: 7, generation: 2, accessGroups: ["a"], factors: [], expiresAt: new Date(t + 3_600_000),
};
const active = activeCacheEntry(session, { leaseSeconds: 30, now });
const revoked = tombstoneCacheEntry({ id: "s", version: 8 }, "session_revoked", now);

describe("cache entry constructors", () => {
  it("builds an active entry from a session, leased from now", () => {
    expect(active).toEqual({
      f: 1, kind: "active", version: 7, sid: "s", uid: "u", tid: "t", gen: 2, groups: ["a"], factors: [], expiresAt: t + 3_600_000, leaseUntil: t + 30_000,
    });
  });
  it("builds a tombstone carrying the reason, at the session's version", () => {
    expect(tombstoneCacheEntry({ id: "s", version: 9 }, "session_reset", now)).toEqual({
      f: 1, kind: "revoked", version: 9, sid: "s", reason: "session_reset", revokedAt: t,
    });
  });
});

describe("cache entry encoding", () => {
  it("puts version first so the compare-and-set script can read it", () => {
    expect(encodeCacheEntry(active).startsWith('{"version":7,')).toBe(true);
    expect(encodeCacheEntry(revoked).startsWith('{"version":8,')).toBe(true);
  });
  it("round-trips through a string and through an already-parsed object", () => {
    expect(decodeCacheEntry(encodeCacheEntry(active))).toEqual(active);
    expect(decodeCacheEntry(JSON.parse(encodeCacheEntry(revoked)))).toEqual(revoked);
  });
  it("round-trips every tombstone reason, session_reset included", () => {
    for (const reason of ["session_revoked", "session_reset", "session_expired"] as const) {
      const tombstone = tombstoneCacheEntry({ id: "s", version: 1 }, reason, now);
      expect(decodeCacheEntry(encodeCacheEntry(tombstone))).toEqual(tombstone);
    }
  });
  it("treats malformed and foreign values as absent", () => {
    expect(decodeCacheEntry("{not json")).toBeNull();
    expect(decodeCacheEntry({ kind: "active" })).toBeNull();
    expect(decodeCacheEntry({ ...revoked, reason: "something_else" })).toBeNull();
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

describe("factors in the entry", () => {
  it("an entry written before factors existed reads as having none", () => {
    const { factors: _dropped, ...old } = activeCacheEntry({ ...session, factors: ["totp"] }, { leaseSeconds: 30, now });
    expect(decodeCacheEntry(JSON.stringify(old))).toMatchObject({ kind: "active", factors: [] });
  });
  it("carries the session's factors through encode and decode", () => {
    const entry = activeCacheEntry({ ...session, factors: ["totp"] }, { leaseSeconds: 30, now });
    expect(decodeCacheEntry(encodeCacheEntry(entry))).toMatchObject({ factors: ["totp"] });
  });
});

describe("createCacheEntryDecoder", () => {
  it("decodes each distinct raw value once and hands every reader the same frozen entry", () => {
    const decode = createCacheEntryDecoder();
    const raw = encodeCacheEntry(active);
    const first = decode(raw);
    expect(first).toEqual(active);
    expect(decode(raw)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen((first as typeof active).groups)).toBe(true);
    expect(() => (first as typeof active).groups.push("admin")).toThrow(TypeError);
  });
  it("a new write (a revocation) is a new raw value, so it is decoded afresh", () => {
    const decode = createCacheEntryDecoder();
    expect(decode(encodeCacheEntry(active))).toMatchObject({ kind: "active" });
    expect(decode(encodeCacheEntry(revoked))).toEqual(revoked);
    expect(decode(encodeCacheEntry({ ...active, version: 9, groups: ["a", "b"] }))).toMatchObject({ version: 9, groups: ["a", "b"] });
  });
  it("rejects what decodeCacheEntry rejects, parsed objects included", () => {
    const decode = createCacheEntryDecoder();
    expect(decode("{not json")).toBeNull();
    expect(decode("{not json")).toBeNull();
    expect(decode(JSON.stringify({ ...revoked, reason: "something_else" }))).toBeNull();
    expect(decode(JSON.parse(encodeCacheEntry(revoked)))).toEqual(revoked);
    expect(decode(null)).toBeNull();
  });
  it("remembers at most max values, dropping the oldest", () => {
    const decode = createCacheEntryDecoder({ max: 2 });
    const raws = [1, 2, 3].map((version) => encodeCacheEntry({ ...active, version }));
    const first = decode(raws[0]);
    decode(raws[1]);
    expect(decode(raws[0])).toBe(first);
    decode(raws[2]);
    const again = decode(raws[0]);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(() => createCacheEntryDecoder({ max: 0 })).toThrow(TypeError);
  });
});
