/**
 * The rate limiter port, and the one fixed-window limiter both backends share: windows on the
 * caller's clock, refunds in the window counted, fail closed (README.md, "Decisions" › Rate
 * limiting). Each window is one counter, kept two windows long so a clock a little behind the
 * server's never sees it vanish early. Every backend passes `rate-limiter-contract.test.ts`.
 */
import { toCacheUnavailable } from "./errors.ts";

export interface RateLimitRule {
  /** How many attempts are allowed per window. */
  max: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  ok: boolean;
  /** Attempts counted in this window, this one included. */
  count: number;
  /** When `ok` is false: seconds until the next attempt may succeed. */
  retryAfterSeconds: number;
  /** Start of the window the attempt was counted in (ms since the epoch); `refund` takes it back there. */
  windowStart: number;
}

export interface RateLimiter {
  /**
   * Counts one attempt against `key` and says whether it is within `rule`. Throws
   * `CacheUnavailableError` when the cache cannot count it.
   */
  limit(key: string, rule: RateLimitRule): Promise<RateLimitDecision>;
  /** Takes back an attempt `limit` counted (a sign-in that turned out right is not a guess). Best effort. */
  refund(key: string, rule: RateLimitRule, counted: RateLimitDecision): Promise<void>;
}

/** The one command a backend gives the limiter. */
export interface WindowCounters {
  /** Adds `by` to the counter, (re)sets its time to live, and returns the new value, atomically. */
  add(key: string, by: number, ttlMs: number): Promise<number>;
}

export interface RateLimiterOptions {
  prefix: string;
  now: () => Date;
}

export function createRateLimiter(counters: WindowCounters, { prefix, now }: RateLimiterOptions): RateLimiter {
  const counterKey = (key: string, rule: RateLimitRule, windowStart: number) => `${prefix}rl:${rule.max}/${rule.windowSeconds}:${key}:${windowStart}`;
  return {
    async limit(key, rule) {
      const windowMs = rule.windowSeconds * 1000;
      const at = now().getTime();
      const windowStart = Math.floor(at / windowMs) * windowMs;
      let count: number;
      try {
        count = await counters.add(counterKey(key, rule, windowStart), 1, 2 * windowMs);
      } catch (error) {
        throw toCacheUnavailable("rate limit", error);
      }
      const ok = count <= rule.max;
      return { ok, count, retryAfterSeconds: ok ? 0 : Math.max(1, Math.ceil((windowStart + windowMs - at) / 1000)), windowStart };
    },
    async refund(key, rule, counted) {
      if (counted.count === 0) return;
      // Best effort: a refund that does not land only leaves one more attempt counted.
      await counters.add(counterKey(key, rule, counted.windowStart), -1, 2 * rule.windowSeconds * 1000).catch(() => undefined);
    },
  };
}
