/** The cache over one TCP Redis connection (ioredis): the session store and the limiter. Node only. */
import type { Cache, CacheOptions } from "./cache.ts";
import type { TcpCacheConfig } from "./config.ts";
import { openIoredisConnection } from "./ioredis-connection.ts";
import { createIoredisSessionStore } from "./ioredis-store.ts";
import { createRateLimiter, type WindowCounters } from "./rate-limiter.ts";

export function createIoredisCache(config: TcpCacheConfig, options: CacheOptions = {}): Cache {
  const connection = openIoredisConnection(config);
  const counters: WindowCounters = {
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
