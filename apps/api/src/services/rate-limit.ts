/** The limiter port used for guessable things (passwords, enrollment codes) and audit budgets. */
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
   * Counts one attempt against `key` and says whether it is within `rule`. Rejects with
   * DependencyUnavailableError when the cache cannot count it: the caller must then refuse the
   * attempt (fail closed) and say it is an outage, not a throttle.
   */
  limit(key: string, rule: RateLimitRule): Promise<RateLimitDecision>;
  /** Takes back an attempt `limit` counted (a sign-in that turned out right is not a guess). */
  refund(key: string, rule: RateLimitRule, counted: RateLimitDecision): Promise<void>;
  /** Releases connections the limiter owns. */
  close?(): Promise<void>;
}
