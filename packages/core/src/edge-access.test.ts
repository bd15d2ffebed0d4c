import { describe, expect, it } from "vitest";
import { activeCacheEntry, edgeSessionFromEntry, tombstoneCacheEntry, type ActiveCacheEntry, type CacheEntry } from "./cache-entry.ts";
import { decideEdgeAccess, type SessionEvidence } from "./edge-access.ts";
import { introspectionResponseSchema, type IntrospectionResponse } from "./introspection.ts";

const now = new Date("2026-01-01T00:00:00Z");
const t = now.getTime();
const session = {
  id: "0b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11", userId: "1b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11", tenantId: "2b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11",
  version: 4, generation: 2, accessGroups: ["staff"], factors: ["totp"], expiresAt: new Date(t + 3_600_000),
};
const claims = { sid: session.id, sub: session.userId, tid: session.tenantId, gen: 2 };
const entry = activeCacheEntry(session, { leaseSeconds: 30, now });
const fromCache = (e: CacheEntry = entry): SessionEvidence => ({ source: "cache", entry: e });
const fromApi = (a: IntrospectionResponse): SessionEvidence => ({ source: "introspection", answer: a });
const answer = (e: ActiveCacheEntry = entry): IntrospectionResponse => ({ active: true, entry: e });
const allowed = { decision: "allow", session: { userId: session.userId, sessionId: session.id, tenantId: session.tenantId, groups: ["staff"], factors: ["totp"] } };

describe("decideEdgeAccess with nothing known", () => {
  it("asks the API", () => {
    expect(decideEdgeAccess({ source: "none" }, claims, now)).toEqual({ decision: "ask_api" });
  });
});

describe("decideEdgeAccess on a cache entry", () => {
  it("allows an active entry within its lease, with the cached groups", () => {
    expect(decideEdgeAccess(fromCache(), claims, now)).toEqual(allowed);
  });
  it("asks the API once the lease is over", () => {
    expect(decideEdgeAccess(fromCache(), claims, new Date(t + 30_000))).toEqual({ decision: "ask_api" });
  });
  it("rejects a tombstone with its reason", () => {
    for (const reason of ["session_revoked", "session_reset", "session_expired"] as const) {
      expect(decideEdgeAccess(fromCache(tombstoneCacheEntry(session, reason, now)), claims, now)).toEqual({ decision: "reject", reason });
    }
  });
  it("rejects a token whose user, tenant or session differs from the entry's", () => {
    expect(decideEdgeAccess(fromCache(), { ...claims, sub: session.tenantId }, now)).toEqual({ decision: "reject", reason: "invalid_token" });
    expect(decideEdgeAccess(fromCache(), { ...claims, tid: session.userId }, now)).toEqual({ decision: "reject", reason: "invalid_token" });
    expect(decideEdgeAccess(fromCache(), { ...claims, sid: session.userId }, now)).toEqual({ decision: "reject", reason: "invalid_token" });
  });
  it("rejects a token from an older generation of the session as revoked", () => {
    expect(decideEdgeAccess(fromCache(), { ...claims, gen: 1 }, now)).toEqual({ decision: "reject", reason: "session_revoked" });
  });
  it("asks the API about a token newer than the entry", () => {
    expect(decideEdgeAccess(fromCache(), { ...claims, gen: 3 }, now)).toEqual({ decision: "ask_api" });
  });
  it("rejects an active entry whose session has expired, even within the lease", () => {
    const ending = activeCacheEntry({ ...session, expiresAt: new Date(t + 1_000) }, { leaseSeconds: 30, now });
    expect(decideEdgeAccess(fromCache(ending), claims, new Date(t + 1_000))).toEqual({ decision: "reject", reason: "session_expired" });
  });
});

describe("decideEdgeAccess on an introspection answer", () => {
  it("allows an active answer with its groups, whatever its lease says", () => {
    expect(decideEdgeAccess(fromApi(answer()), claims, new Date(t + 60_000))).toEqual(allowed);
  });
  it("rejects an inactive answer with its reason", () => {
    for (const reason of ["session_revoked", "session_reset", "session_expired"] as const) {
      expect(decideEdgeAccess(fromApi({ active: false, reason }), claims, now)).toEqual({ decision: "reject", reason });
    }
  });
  it("reports a session the API does not know as revoked", () => {
    expect(decideEdgeAccess(fromApi({ active: false, reason: "session_not_found" }), claims, now)).toEqual({ decision: "reject", reason: "session_revoked" });
  });
  it("rejects a token that does not match the answer's session", () => {
    expect(decideEdgeAccess(fromApi(answer({ ...entry, uid: session.tenantId })), claims, now)).toEqual({ decision: "reject", reason: "invalid_token" });
    expect(decideEdgeAccess(fromApi(answer({ ...entry, sid: session.userId })), claims, now)).toEqual({ decision: "reject", reason: "invalid_token" });
    expect(decideEdgeAccess(fromApi(answer({ ...entry, tid: session.userId })), claims, now)).toEqual({ decision: "reject", reason: "invalid_token" });
  });
  it("rejects an older generation as revoked and a newer one as invalid (the API is authoritative)", () => {
    expect(decideEdgeAccess(fromApi(answer()), { ...claims, gen: 1 }, now)).toEqual({ decision: "reject", reason: "session_revoked" });
    expect(decideEdgeAccess(fromApi(answer()), { ...claims, gen: 3 }, now)).toEqual({ decision: "reject", reason: "invalid_token" });
  });
  it("rejects an answer for a session that has expired since", () => {
    expect(decideEdgeAccess(fromApi(answer()), claims, new Date(t + 3_600_000))).toEqual({ decision: "reject", reason: "session_expired" });
  });
});

describe("what an allowed session exposes", () => {
  it("is the entry's, built by edgeSessionFromEntry, whether the entry came from the cache or the API", () => {
    const decisions = [decideEdgeAccess(fromCache(), claims, now), decideEdgeAccess(fromApi(answer()), claims, now)];
    for (const decision of decisions) expect(decision).toEqual({ decision: "allow", session: edgeSessionFromEntry(entry) });
  });
});

describe("the introspection answer on the wire", () => {
  it("carries the active entry as is, parsed with the cache entry's schema", () => {
    expect(introspectionResponseSchema.parse(JSON.parse(JSON.stringify(answer())))).toEqual(answer());
  });
  it("refuses an active answer without a well-formed entry", () => {
    const { uid: _uid, ...withoutUser } = entry;
    expect(introspectionResponseSchema.safeParse({ active: true, entry: withoutUser }).success).toBe(false);
    expect(introspectionResponseSchema.safeParse({ active: true, entry: tombstoneCacheEntry(session, "session_revoked", now) }).success).toBe(false);
    expect(introspectionResponseSchema.safeParse({ active: true, sid: entry.sid, sub: entry.uid }).success).toBe(false);
  });
});
