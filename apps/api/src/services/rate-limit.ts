/** The limiter port used for guessable things (login, enrollment codes). */
export interface RateLimitRule {
  /** How many attempts are allowed per window. */
  max: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  ok: boolean;
  /** When `ok` is false: seconds until the next attempt may succeed. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  limit(key: string, rule: RateLimitRule): Promise<RateLimitDecision>;
  /** Releases connections the limiter owns. */
  close?(): Promise<void>;
}
