/**
 * The Redis Cluster cache on a real cluster of 3 masters (started here from `redis-server`, which
 * the contract suites also run against): keys are spread over every master, each command stays in
 * one slot, and a lost master fails only its own keys, quickly, until it is back.
 * Runs when REDIS_URL is set (real-Redis runs) and `redis-server` is on the PATH.
 */
import { activeCacheEntry, sessionCacheKey, type ActiveCacheEntry } from "@sesame/core";
import { redisClusterAvailable, startRedisCluster, type LocalRedisCluster } from "@sesame/dev-services";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cache } from "./cache.ts";
import { CacheUnavailableError } from "./errors.ts";
import { createCache } from "./node.ts";

const now = new Date();
let counter = 0;
const newSid = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`;
const active = (sid: string): ActiveCacheEntry =>
  activeCacheEntry(
    { id: sid, userId: "11111111-1111-4111-8111-111111111111", tenantId: "22222222-2222-4222-8222-222222222222", version: 1, generation: 1, accessGroups: [], factors: [], expiresAt: new Date(now.getTime() + 3_600_000) },
    { leaseSeconds: 30, now },
  );

describe("cluster key shapes", () => {
  it("names one key per command and no hash tag, so each key's slot is the hash of the whole key", async () => {
    const keys: string[] = [];
    const { createRateLimiter } = await import("./rate-limiter.ts");
    const limiter = createRateLimiter({ add: async (key) => (keys.push(key), 1) }, { prefix: "sesame:", now: () => now });
    await limiter.limit("login_account_source:7f3a…:2001:db8::/64", { max: 10, windowSeconds: 900 });
    keys.push(sessionCacheKey("sesame:", newSid()));
    for (const key of keys) expect(key).not.toMatch(/[{}]/);
  });
});

const clusters = process.env.REDIS_URL && redisClusterAvailable() ? ["3 local masters"] : [];

for (const name of clusters) {
  describe(`Redis Cluster cache: ${name}`, () => {
    const prefix = `sesame-cluster-${process.pid}:`;
    let cluster: LocalRedisCluster;
    let cache: Cache;
    let admin: Cluster;
    beforeAll(async () => {
      cluster = await startRedisCluster();
      cache = createCache({ kind: "cluster", nodes: cluster.nodes.map(({ host, port }) => `redis://${host}:${port}`), prefix, timeoutMs: 300 });
      admin = new Cluster(cluster.nodes);
    }, 30_000);
    afterAll(async () => {
      await cache?.close();
      await admin?.quit();
      await cluster?.stop();
    });

    /** Which master (index into cluster.nodes) holds `key`, asked of the cluster itself. */
    const masterOf = (key: string) => {
      const slot = Number(cluster.cli(0, "cluster", "keyslot", key).trim());
      const index = cluster.nodes.findIndex((_, i) => Number(cluster.cli(i, "cluster", "countkeysinslot", String(slot)).trim()) > 0);
      return { slot, index };
    };

    it("spreads session entries and limiter counters over every master (no hash tag pins them to one slot)", async () => {
      const entries = Array.from({ length: 60 }, () => active(newSid()));
      expect(await cache.store.putMany(entries, now)).toEqual(entries.map(() => true));
      for (let i = 0; i < 30; i++) expect((await cache.limiter.limit(`spread:${i}`, { max: 5, windowSeconds: 60 })).ok).toBe(true);
      const holders = new Set<number>();
      for (let i = 0; i < cluster.nodes.length; i++) {
        const keys = cluster.cli(i, "--scan", "--pattern", `${prefix}*`).split("\n").filter(Boolean);
        if (keys.some((key) => key.startsWith(`${prefix}session:`)) && keys.some((key) => key.startsWith(`${prefix}rl:`))) holders.add(i);
      }
      expect(holders.size).toBe(cluster.nodes.length);
      for (const entry of entries) expect(await cache.store.get(entry.sid)).toEqual(entry);
    });

    it("counts one limiter key from two processes' connections as one budget", async () => {
      const other = createCache({ kind: "cluster", nodes: [`redis://${cluster.nodes[2]!.host}:${cluster.nodes[2]!.port}`], prefix, timeoutMs: 300 });
      try {
        const rule = { max: 3, windowSeconds: 60 };
        const counts = [];
        for (let i = 0; i < 6; i++) counts.push((await (i % 2 ? other : cache).limiter.limit("shared-budget", rule)).count);
        expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
      } finally {
        await other.close();
      }
    });

    it("while a master is down, fails its keys with CacheUnavailableError and serves the others; after it is back, serves all", async () => {
      const entries = Array.from({ length: 30 }, () => active(newSid()));
      await cache.store.putMany(entries, now);
      const down = masterOf(sessionCacheKey(prefix, entries[0]!.sid)).index;
      expect(down).toBeGreaterThanOrEqual(0);
      const onDown = entries.filter((entry) => masterOf(sessionCacheKey(prefix, entry.sid)).index === down);
      const elsewhere = entries.filter((entry) => !onDown.includes(entry));
      expect(elsewhere.length).toBeGreaterThan(0);

      const restarted = cluster.restartNode(down, 1_500);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = performance.now();
      await expect(cache.store.get(onDown[0]!.sid)).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(await cache.store.get(elsewhere[0]!.sid)).toEqual(elsewhere[0]);
      await expect(cache.store.putMany(entries, now)).rejects.toBeInstanceOf(CacheUnavailableError);

      await restarted;
      // Back empty (nothing is persisted): the entry is absent, and writes land again.
      let readBack: unknown = undefined;
      for (let attempt = 0; attempt < 50 && readBack === undefined; attempt++) {
        readBack = await cache.store.get(onDown[0]!.sid).catch(() => undefined);
        if (readBack === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(readBack).toBeNull();
      expect(await cache.store.putMany(entries, now)).toEqual(entries.map(() => true));
      expect(await cache.store.get(onDown[0]!.sid)).toEqual(onDown[0]);
    }, 30_000);
  });
}
