/**
 * The contract every SessionCacheStore meets, run against every implementation and every backend
 * available here (`availableBackends`). Nothing is skipped: backends that need REDIS_URL are simply
 * not in the list without it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TOMBSTONE_TTL_SECONDS,
  activeCacheEntry,
  sessionCacheKey,
  tombstoneCacheEntry,
  type ActiveCacheEntry,
  type CacheEntry,
  type RevokedCacheEntry,
} from "@sesame/core";
import { closedPort, startSilentServer } from "@sesame/dev-services";
import { UNREACHABLE_TIMEOUT_MS as TIMEOUT_MS, availableBackends, unreachable, type RunningCacheBackend } from "../test/backends.ts";
import { CacheUnavailableError } from "./errors.ts";
import type { SessionCacheStore } from "./store.ts";

const now = new Date();
const t = now.getTime();
let counter = 0;
const newSid = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`;

function active(sid: string, version: number, overrides: Partial<ActiveCacheEntry> = {}): ActiveCacheEntry {
  const session = {
    id: sid, userId: "11111111-1111-4111-8111-111111111111", tenantId: "22222222-2222-4222-8222-222222222222",
    version, generation: 1, accessGroups: ["staff"], factors: [], expiresAt: new Date(t + 3_600_000),
  };
  return { ...activeCacheEntry(session, { leaseSeconds: 30, now }), ...overrides };
}
function revoked(sid: string, version: number): RevokedCacheEntry {
  return tombstoneCacheEntry({ id: sid, version }, "session_revoked", now);
}

for (const backend of availableBackends(process.env)) {
  describe(`SessionCacheStore contract: ${backend.name}`, () => {
    const prefix = `sesame-contract-${process.pid}-${Date.now()}:`;
    let started: RunningCacheBackend;
    let store: SessionCacheStore;
    beforeAll(async () => {
      started = await backend.start();
      store = started.open({ prefix }).store;
    });
    afterAll(async () => {
      await started?.stop();
    });

    describe("seen marks", () => {
      // Each case on a key of its own.
      let seenCase = 0;
      const seenStore = () => started.open({ prefix: `${prefix}seen-${++seenCase}:` }).store;
      const at = (offsetMs: number) => new Date(t + offsetMs);

      it("takes marks earliest first, each once, a session's later mark replacing its earlier one", async () => {
        const seen = seenStore();
        const [a, b, c] = [newSid(), newSid(), newSid()];
        await seen.markSeen([{ sessionId: a, seenAt: at(1_000) }, { sessionId: b, seenAt: at(0) }]);
        await seen.markSeen([{ sessionId: c, seenAt: at(2_000) }]);
        await seen.markSeen([{ sessionId: a, seenAt: at(3_000) }]);
        expect(await seen.takeSeen(2)).toEqual([
          { sessionId: b, seenAt: at(0) },
          { sessionId: c, seenAt: at(2_000) },
        ]);
        expect(await seen.takeSeen(10)).toEqual([{ sessionId: a, seenAt: at(3_000) }]);
        expect(await seen.takeSeen(10)).toEqual([]);
      });

      it("with onlyNew, adds marks without overwriting one already there", async () => {
        const seen = seenStore();
        const [a, d] = [newSid(), newSid()];
        await seen.markSeen([{ sessionId: a, seenAt: at(5_000) }]);
        await seen.markSeen([{ sessionId: a, seenAt: at(1_000) }, { sessionId: d, seenAt: at(1_000) }], { onlyNew: true });
        expect(await seen.takeSeen(10)).toEqual([
          { sessionId: d, seenAt: at(1_000) },
          { sessionId: a, seenAt: at(5_000) },
        ]);
      });

      it("never hands the same mark to two concurrent takers", async () => {
        const seen = seenStore();
        const ids = Array.from({ length: 40 }, newSid);
        await seen.markSeen(ids.map((sessionId, i) => ({ sessionId, seenAt: at(i) })));
        const taken = (await Promise.all(Array.from({ length: 5 }, () => seen.takeSeen(15)))).flat().map((mark) => mark.sessionId);
        expect(taken.sort()).toEqual([...ids].sort());
      });
    });

    it("answers null for an absent session", async () => {
      expect(await store.get(newSid())).toBeNull();
    });

    it("stores an active entry and reads it back", async () => {
      const entry = active(newSid(), 1);
      expect(await store.put(entry, now)).toBe(true);
      expect(await store.get(entry.sid)).toEqual(entry);
    });

    it("writes a tombstone over an active entry of the same version", async () => {
      const sid = newSid();
      await store.put(active(sid, 3), now);
      expect(await store.put(revoked(sid, 3), now)).toBe(true);
      expect(await store.get(sid)).toEqual(revoked(sid, 3));
    });

    it("refuses an active entry over a tombstone of the same version", async () => {
      const sid = newSid();
      await store.put(revoked(sid, 3), now);
      expect(await store.put(active(sid, 3), now)).toBe(false);
      expect(await store.get(sid)).toEqual(revoked(sid, 3));
    });

    it("refuses any entry with a lower version than the stored one", async () => {
      const sid = newSid();
      await store.put(active(sid, 5), now);
      expect(await store.put(active(sid, 4, { groups: ["stale"] }), now)).toBe(false);
      expect(await store.put(revoked(sid, 4), now)).toBe(false);
      expect(await store.get(sid)).toEqual(active(sid, 5));
    });

    it("accepts an active entry of the same version over an active one (lease renewal)", async () => {
      const sid = newSid();
      await store.put(active(sid, 2), now);
      const renewed = active(sid, 2, { leaseUntil: t + 60_000 });
      expect(await store.put(renewed, now)).toBe(true);
      expect(await store.get(sid)).toEqual(renewed);
    });

    it("accepts a higher-version active entry over a tombstone (re-enrollment)", async () => {
      const sid = newSid();
      await store.put(revoked(sid, 6), now);
      const reenrolled = active(sid, 7, { gen: 2 });
      expect(await store.put(reenrolled, now)).toBe(true);
      expect(await store.get(sid)).toEqual(reenrolled);
    });

    it("expires active entries at their lease and tombstones after the longest token life", async () => {
      const lease = active(newSid(), 1, { leaseUntil: t + 20_000 });
      const tomb = revoked(newSid(), 1);
      await store.put(lease, now);
      await store.put(tomb, now);
      const leaseTtl = await started.raw.pttl(sessionCacheKey(prefix, lease.sid));
      const tombTtl = await started.raw.pttl(sessionCacheKey(prefix, tomb.sid));
      expect(leaseTtl).toBeGreaterThan(15_000);
      expect(leaseTtl).toBeLessThanOrEqual(20_000);
      expect(tombTtl).toBeGreaterThan(TOMBSTONE_TTL_SECONDS * 1000 - 5_000);
      expect(tombTtl).toBeLessThanOrEqual(TOMBSTONE_TTL_SECONDS * 1000);
    });

    it("bounds an active entry's TTL by the session's expiry when that comes before the lease", async () => {
      const entry = active(newSid(), 1, { expiresAt: t + 5_000, leaseUntil: t + 30_000 });
      await store.put(entry, now);
      const ttl = await started.raw.pttl(sessionCacheKey(prefix, entry.sid));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    });

    it("applies the same rule to each entry of putMany, answering in order", async () => {
      const [a, b, c] = [newSid(), newSid(), newSid()];
      await store.put(revoked(b, 2), now);
      await store.put(active(c, 9), now);
      const entries: CacheEntry[] = [active(a, 1), active(b, 2), revoked(c, 10)];
      expect(await store.putMany(entries, now)).toEqual([true, false, true]);
      expect(await store.get(a)).toEqual(active(a, 1));
      expect(await store.get(b)).toEqual(revoked(b, 2));
      expect(await store.get(c)).toEqual(revoked(c, 10));
      expect(await store.putMany([], now)).toEqual([]);
    });

    it("reads malformed values as absent", async () => {
      const [notJson, wrongShape, noVersion] = [newSid(), newSid(), newSid()];
      await started.raw.set(sessionCacheKey(prefix, notJson), "{not json");
      await started.raw.set(sessionCacheKey(prefix, wrongShape), JSON.stringify({ version: 1, kind: "active" }));
      await started.raw.set(sessionCacheKey(prefix, noVersion), "42");
      expect(await store.get(notJson)).toBeNull();
      expect(await store.get(wrongShape)).toBeNull();
      expect(await store.get(noVersion)).toBeNull();
    });

    it("overwrites a malformed value on put", async () => {
      const sid = newSid();
      await started.raw.set(sessionCacheKey(prefix, sid), '{"version":"x"}');
      expect(await store.put(active(sid, 1), now)).toBe(true);
      expect(await store.get(sid)).toEqual(active(sid, 1));
    });

    it("keeps deployments apart by prefix", async () => {
      const sid = newSid();
      await store.put(active(sid, 1), now);
      const other = started.open({ prefix: `${prefix}other:` }).store;
      expect(await other.get(sid)).toBeNull();
    });

    it("answers many concurrent reads, each with its own entry", async () => {
      const sids = Array.from({ length: 12 }, () => newSid());
      await store.putMany(sids.slice(0, 8).map((sid, index) => active(sid, index + 1)), now);
      const reads = await Promise.all([...sids, ...sids].map((sid) => store.get(sid)));
      expect(reads).toEqual([...sids, ...sids].map((sid, index) => (index % 12 < 8 ? active(sid, (index % 12) + 1) : null)));
    });

    it("answers a burst of reads issued right after creation, without piling up listeners", async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on("warning", onWarning);
      try {
        const fresh = started.open({ prefix }).store;
        const reads = await Promise.all(Array.from({ length: 30 }, () => fresh.get(newSid())));
        expect(reads).toEqual(Array(30).fill(null));
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.map((warning) => warning.name)).not.toContain("MaxListenersExceededWarning");
      } finally {
        process.off("warning", onWarning);
      }
    });

    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

async function expectUnavailableWithin(call: () => Promise<unknown>, maxMs: number): Promise<number> {
  const started = performance.now();
  const error = await call().then(() => null, (e: unknown) => e);
  const elapsed = performance.now() - started;
  expect(error).toBeInstanceOf(CacheUnavailableError);
  expect(elapsed).toBeLessThan(maxMs);
  return elapsed;
}

for (const impl of unreachable) {
  describe(`SessionCacheStore contract: ${impl.name} when the cache is unreachable`, () => {
    it("fails every call with CacheUnavailableError, quickly, on a refused connection", async () => {
      const cache = impl.open(impl.config(await closedPort()));
      const store = cache.store;
      try {
        await expectUnavailableWithin(() => store.get(newSid()), TIMEOUT_MS + 700);
        await expectUnavailableWithin(() => store.put(active(newSid(), 1), now), TIMEOUT_MS + 700);
        await expectUnavailableWithin(() => store.putMany([active(newSid(), 1)], now), TIMEOUT_MS + 700);
        await expectUnavailableWithin(() => store.ping(), TIMEOUT_MS + 700);
        await expectUnavailableWithin(() => store.markSeen([{ sessionId: newSid(), seenAt: now }]), TIMEOUT_MS + 700);
        await expectUnavailableWithin(() => store.takeSeen(10), TIMEOUT_MS + 700);
        await expectUnavailableWithin(() => Promise.allSettled([store.get(newSid()), store.get(newSid())]).then((results) => {
          expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
          throw (results[0] as PromiseRejectedResult).reason;
        }), TIMEOUT_MS + 700);
      } finally {
        await cache.close();
      }
    });

    it("gives up after its timeout when the server never answers", async () => {
      const silent = await startSilentServer();
      const cache = impl.open(impl.config(silent.port));
      const store = cache.store;
      try {
        const elapsed = await expectUnavailableWithin(() => store.get(newSid()), TIMEOUT_MS + 700);
        expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      } finally {
        await cache.close();
        await silent.close();
      }
    });
  });
}
