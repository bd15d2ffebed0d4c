/**
 * Rate limiting on the same cache as the sessions: a fixed-window counter over the Upstash REST API,
 * or rate-limiter-flexible over TCP Redis when only REDIS_URL is configured. Both count a fixed
 * window per key. If the cache cannot answer, the attempt is refused (fail closed).
 */
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { CacheConfig } from "../config.ts";
import type { RateLimitDecision, RateLimitRule, RateLimiter } from "./rate-limit.ts";

const ruleKey = (rule: RateLimitRule) => `${rule.max}/${rule.windowSeconds}`;

/**
 * A fixed window in one MULTI: create the counter with the window as its TTL if absent, count the
 * attempt, read the time left. (@upstash/ratelimit's scripts start with an Upstash-only
 * `#!lua flags=allow-key-locking` line that Redis 7 and the local shim refuse, and a limiter that
 * refuses everything while failing closed would lock every user out in development.)
 */
function createUpstashLimiter(cache: Extract<CacheConfig, { kind: "upstash" }>): RateLimiter {
  const redis = new UpstashRedis({
    url: cache.url,
    token: cache.token,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(cache.timeoutMs),
  });
  return {
    async limit(key, rule) {
      const counter = `${cache.prefix}rl:${ruleKey(rule)}:${key}`;
      const windowMs = rule.windowSeconds * 1000;
      try {
        const [, count, ttlMs] = await redis.multi().set(counter, 0, { px: windowMs, nx: true }).incr(counter).pttl(counter).exec<[unknown, number, number]>();
        if (count <= rule.max) return { ok: true, retryAfterSeconds: 0 };
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000)) };
      } catch {
        return unavailable(rule);
      }
    },
  };
}

function createRedisLimiter(cache: Extract<CacheConfig, { kind: "redis" }>): RateLimiter {
  const client = new IORedis(cache.url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: cache.timeoutMs, enableOfflineQueue: true });
  // Connection errors surface as failed commands (and so as refusals); no unhandled-error noise.
  client.on("error", () => {});
  const limiters = new Map<string, RateLimiterRedis>();
  return {
    async close() {
      client.disconnect();
    },
    async limit(key, rule) {
      let limiter = limiters.get(ruleKey(rule));
      if (!limiter) {
        limiter = new RateLimiterRedis({ storeClient: client, points: rule.max, duration: rule.windowSeconds, keyPrefix: `${cache.prefix}rl:${ruleKey(rule)}` });
        limiters.set(ruleKey(rule), limiter);
      }
      try {
        await limiter.consume(key);
        return { ok: true, retryAfterSeconds: 0 };
      } catch (error) {
        if (error instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
        return unavailable(rule);
      }
    },
  };
}

/** The cache is down: refuse rather than let guesses through unlimited. */
function unavailable(rule: RateLimitRule): RateLimitDecision {
  return { ok: false, retryAfterSeconds: Math.min(rule.windowSeconds, 5) };
}

export function createRateLimiter(cache: CacheConfig): RateLimiter {
  return cache.kind === "upstash" ? createUpstashLimiter(cache) : createRedisLimiter(cache);
}
