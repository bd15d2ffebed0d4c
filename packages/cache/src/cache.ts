import type { RateLimiter } from "./rate-limiter.ts";
import type { SessionCacheStore } from "./store.ts";

/** What a process needs from the cache, over one connection per backend. */
export interface Cache {
  /** Session entries: the API writes them, the edge reads them. */
  store: SessionCacheStore;
  /** Attempt counters for guessable things (passwords, enrollment codes) and audit budgets. */
  limiter: RateLimiter;
  /** Releases the connection. */
  close(): Promise<void>;
}

export interface CacheOptions {
  /** The clock the limiter's windows follow; default the system clock. The API passes its own. */
  now?: () => Date;
}
