/**
 * The cache over TCP (ioredis), one connection for the session store and the limiter: a single
 * Redis (`kind: "tcp"`) or a Redis Cluster (`kind: "cluster"`). Node only.
 */
import type { Cache, CacheOptions } from "./cache.ts";
import type { ClusterCacheConfig, TcpCacheConfig } from "./config.ts";
import { openIoredisClusterConnection, openIoredisConnection } from "./ioredis-connection.ts";
import { createIoredisSessionStore } from "./ioredis-store.ts";
import { createRateLimiter, type WindowCounters } from "./rate-limiter.ts";

export function createIoredisCache(config: TcpCacheConfig | ClusterCacheConfig, options: CacheOptions = {}): Cache {
  const connection = config.kind === "cluster" ? openIoredisClusterConnection(config) : openIoredisConnection(config);
  const counters: WindowCounters = {
    // One key per transaction: on a cluster a MULTI may only touch one slot.
    async add(key, by, ttlMs) {
      const replies = await connection.run("rate limit", () => connection.redis.multi().incrby(key, by).pexpire(key, ttlMs).exec());
      const [error, count] = replies?.[0] ?? [new Error("no reply"), null];
      if (error) throw error;
      return Number(count);
    },
  };
  return {
    store: createIoredisSessionStore(connection, config.prefix),
    limiter: createRateLimiter(counters, { prefix: config.prefix, now: options.now ?? (() => new Date()) }),
    close: connection.close,
  };
}
