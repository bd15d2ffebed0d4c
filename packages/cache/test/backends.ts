/**
 * `@sesame/cache/testing`: the cache backends this machine has, for every contract suite that runs
 * against "each cache" (the store and limiter contracts here, the edge's middleware tests). Most real
 * first: with REDIS_URL, the Upstash shim in front of it and the TCP cache on it, and a Redis
 * Cluster (`REDIS_CLUSTER_NODES`, or 3 local masters started from `redis-server` when it is on the
 * PATH); always, the in-memory Upstash shim. Nothing is skipped: backends that need REDIS_URL are
 * simply not listed.
 */
import { randomUUID } from "node:crypto";
import { Redis as UpstashRedis } from "@upstash/redis";
import { Cluster, Redis } from "ioredis";
import { redisClusterAvailable, startRedisCluster, startUpstashShim } from "@sesame/dev-services";
import type { Cache, CacheOptions } from "../src/cache.ts";
import { DEFAULT_CACHE_TIMEOUT_MS, type CacheConfig } from "../src/config.ts";
import { createCache } from "../src/node.ts";
import { createUpstashCache } from "../src/upstash-cache.ts";

/** How a backend's caches are opened: `createCache` (Node: undici for Upstash) or the Fetch-only Upstash client of edge runtimes. */
type OpenCache = (config: CacheConfig, options?: CacheOptions) => Cache;
const openFetchUpstash: OpenCache = (config, options) => {
  if (config.kind !== "upstash") throw new Error("the Fetch client speaks Upstash only");
  return createUpstashCache(config, options);
};

/** Direct access to the keys, to plant malformed values and read TTLs. */
export interface RawRedis {
  set(key: string, value: string): Promise<void>;
  pttl(key: string): Promise<number>;
}

export interface CacheBackend {
  name: string;
  start(): Promise<RunningCacheBackend>;
}

export interface RunningCacheBackend {
  /** This backend as a `CacheConfig`, under `prefix` (default: a fresh one of its own). */
  config(prefix?: string): CacheConfig;
  /** `createCache(config(prefix), options)`; closed by `stop()`. */
  open(options?: CacheOptions & { prefix?: string }): Cache;
  raw: RawRedis;
  stop(): Promise<void>;
}

const freshPrefix = () => `sesame-test:${randomUUID()}:`;

function running(config: (prefix: string) => CacheConfig, raw: RawRedis, stopBackend: () => Promise<void>, openCache: OpenCache = createCache): RunningCacheBackend {
  const opened: Cache[] = [];
  return {
    config: (prefix = freshPrefix()) => config(prefix),
    open({ prefix = freshPrefix(), ...options } = {}) {
      const cache = openCache(config(prefix), options);
      opened.push(cache);
      return cache;
    },
    raw,
    async stop() {
      await Promise.all(opened.map((cache) => cache.close()));
      await stopBackend();
    },
  };
}

function upstashBackend(name: string, redisUrl?: string, openCache: OpenCache = createCache): CacheBackend {
  return {
    name,
    async start() {
      const shim = await startUpstashShim({ port: 0, token: randomUUID(), ...(redisUrl ? { redisUrl } : {}) });
      const client = new UpstashRedis({ url: shim.url, token: shim.token, automaticDeserialization: false, enableTelemetry: false });
      return running(
        (prefix) => ({ kind: "upstash", url: shim.url, token: shim.token, prefix, timeoutMs: DEFAULT_CACHE_TIMEOUT_MS }),
        {
          set: async (key, value) => void (await client.set(key, value, { px: 60_000 })),
          pttl: (key) => client.pttl(key),
        },
        () => shim.close(),
        openCache,
      );
    },
  };
}

function tcpBackend(name: string, redisUrl: string): CacheBackend {
  return {
    name,
    async start() {
      const client = new Redis(redisUrl);
      return running(
        (prefix) => ({ kind: "tcp", url: redisUrl, prefix, timeoutMs: DEFAULT_CACHE_TIMEOUT_MS }),
        {
          set: async (key, value) => void (await client.set(key, value, "PX", 60_000)),
          pttl: (key) => client.pttl(key),
        },
        async () => void (await client.quit()),
      );
    },
  };
}

/** A Redis Cluster: the one `REDIS_CLUSTER_NODES` names, or 3 local masters started for the file. */
function clusterBackend(name: string, nodesEnv: string | undefined): CacheBackend {
  return {
    name,
    async start() {
      const local = nodesEnv ? null : await startRedisCluster();
      const nodes = (nodesEnv ?? local!.nodesEnv).split(",").map((node) => (node.includes("://") ? node : `redis://${node}`));
      const client = new Cluster(nodes.map((node) => ({ host: new URL(node).hostname, port: Number(new URL(node).port) })));
      return running(
        (prefix) => ({ kind: "cluster", nodes, prefix, timeoutMs: DEFAULT_CACHE_TIMEOUT_MS }),
        {
          set: async (key, value) => void (await client.set(key, value, "PX", 60_000)),
          pttl: (key) => client.pttl(key),
        },
        async () => {
          await client.quit();
          await local?.stop();
        },
      );
    },
  };
}

/** The budget the `unreachable` caches are given. */
export const UNREACHABLE_TIMEOUT_MS = 300;

/** Each kind of cache pointed at a local port that cannot answer, for the contracts' outage cases. */
export const unreachable: { name: string; config(port: number): CacheConfig; open: OpenCache }[] = [
  { name: "Upstash cache", config: (port) => ({ kind: "upstash", url: `http://127.0.0.1:${port}`, token: "t", prefix: "dead:", timeoutMs: UNREACHABLE_TIMEOUT_MS }), open: createCache },
  {
    name: "Upstash cache, Fetch client",
    config: (port) => ({ kind: "upstash", url: `http://127.0.0.1:${port}`, token: "t", prefix: "dead:", timeoutMs: UNREACHABLE_TIMEOUT_MS }),
    open: openFetchUpstash,
  },
  { name: "TCP cache", config: (port) => ({ kind: "tcp", url: `redis://127.0.0.1:${port}`, prefix: "dead:", timeoutMs: UNREACHABLE_TIMEOUT_MS }), open: createCache },
  { name: "Redis Cluster cache", config: (port) => ({ kind: "cluster", nodes: [`redis://127.0.0.1:${port}`], prefix: "dead:", timeoutMs: UNREACHABLE_TIMEOUT_MS }), open: createCache },
];

export function availableBackends(env: Record<string, string | undefined>): CacheBackend[] {
  const redisUrl = env.REDIS_URL || undefined;
  return [
    ...(redisUrl
      ? [upstashBackend("Upstash cache → shim over REDIS_URL", redisUrl), tcpBackend("TCP cache (ioredis) → REDIS_URL", redisUrl)]
      : []),
    ...(env.REDIS_CLUSTER_NODES
      ? [clusterBackend("Redis Cluster cache (ioredis Cluster) → REDIS_CLUSTER_NODES", env.REDIS_CLUSTER_NODES)]
      : redisUrl && redisClusterAvailable()
        ? [clusterBackend("Redis Cluster cache (ioredis Cluster) → 3 local masters", undefined)]
        : []),
    upstashBackend("Upstash cache → in-memory shim"),
    // Edge runtimes' client (plain fetch): Node processes use the pooled one above.
    upstashBackend("Upstash cache, Fetch client → in-memory shim", undefined, openFetchUpstash),
  ];
}
