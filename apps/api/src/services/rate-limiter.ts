/**
 * Rate limiting on the same cache as the sessions, over the Upstash REST API or TCP Redis.
 *
 * Fixed windows aligned to the epoch and read from the API's clock (`deps.now`), not Redis's: the
 * window an attempt falls in is `floor(now / window)`, so a test that pins the clock gets the same
 * decisions on a busy machine as on an idle one, and a refund lands in the window it was counted in.
 * Each window is one counter (`INCR` + `PEXPIRE` in one transaction), kept two windows long so a
 * clock a little behind Redis's never sees it vanish early. If the cache cannot answer, the attempt
 * is refused (fail closed) with DependencyUnavailableError, which callers see as 503
 * SERVICE_UNAVAILABLE with Retry-After: an outage said as one, not a throttle.
 */
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import type { CacheConfig } from "../config.ts";
import { DependencyUnavailableError } from "../lib/errors.ts";
import type { RateLimitRule, RateLimiter } from "./rate-limit.ts";

/** The two commands the limiter needs from a backend. */
interface CounterStore {
  /** Adds `by` to the counter, (re)sets its time to live, and returns the new value. */
  add(key: string, by: number, ttlMs: number): Promise<number>;
  close?(): Promise<void>;
}

function upstashCounters(cache: Extract<CacheConfig, { kind: "upstash" }>): CounterStore {
  const redis = new UpstashRedis({
    url: cache.url,
    token: cache.token,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(cache.timeoutMs),
  });
  return {
    async add(key, by, ttlMs) {
      const [count] = await redis.multi().incrby(key, by).pexpire(key, ttlMs).exec<[number, unknown]>();
      return count;
    },
  };
}

function redisCounters(cache: Extract<CacheConfig, { kind: "redis" }>): CounterStore {
  const client = new IORedis(cache.url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: cache.timeoutMs, enableOfflineQueue: true });
  // Connection errors surface as failed commands (and so as DependencyUnavailableError); no unhandled-error noise.
  client.on("error", () => {});
  return {
    async add(key, by, ttlMs) {
      const replies = await client.multi().incrby(key, by).pexpire(key, ttlMs).exec();
      const [error, count] = replies?.[0] ?? [new Error("no reply"), null];
      if (error) throw error;
      return Number(count);
    },
    async close() {
      client.disconnect();
    },
  };
}

export function createRateLimiter(cache: CacheConfig, now: () => Date = () => new Date()): RateLimiter {
  const store = cache.kind === "upstash" ? upstashCounters(cache) : redisCounters(cache);
  const counterKey = (key: string, rule: RateLimitRule, windowStart: number) => `${cache.prefix}rl:${rule.max}/${rule.windowSeconds}:${key}:${windowStart}`;
  return {
    async limit(key, rule) {
      const windowMs = rule.windowSeconds * 1000;
      const at = now().getTime();
      const windowStart = Math.floor(at / windowMs) * windowMs;
      try {
        const count = await store.add(counterKey(key, rule, windowStart), 1, 2 * windowMs);
        const ok = count <= rule.max;
        return { ok, count, retryAfterSeconds: ok ? 0 : Math.max(1, Math.ceil((windowStart + windowMs - at) / 1000)), windowStart };
      } catch (error) {
        throw new DependencyUnavailableError("cache", { cause: error });
      }
    },
    async refund(key, rule, counted) {
      if (counted.count === 0) return;
      // Best effort: a refund that does not land only leaves one more attempt counted.
      await store.add(counterKey(key, rule, counted.windowStart), -1, 2 * rule.windowSeconds * 1000).catch(() => undefined);
    },
    close: store.close,
  };
}
