/**
 * The cache over the Upstash REST API: one client for the session store and the limiter. Fetch only,
 * no `node:` imports: it runs on Node and on edge runtimes (Workers, Vercel Edge).
 */
// The Cloudflare entry is the plain-fetch client: unlike the default (Node) entry it sets no
// `cache`/`agent` request options, which some edge runtimes reject.
import { Redis } from "@upstash/redis/cloudflare";
import type { Cache, CacheOptions } from "./cache.ts";
import type { UpstashCacheConfig } from "./config.ts";
import { createRateLimiter, type WindowCounters } from "./rate-limiter.ts";
import { createUpstashSessionStore } from "./upstash-store.ts";

/**
 * @example
 * const cache = createUpstashCache({ kind: "upstash", url, token, prefix: "sesame:", timeoutMs: 500 });
 * const entry = await cache.store.get(claims.sid);
 */
export function createUpstashCache(config: UpstashCacheConfig, options: CacheOptions = {}): Cache {
  const { url, token, timeoutMs } = config;
  checkUpstashConfig(config);
  const redis = new Redis({
    url,
    token,
    // A fresh signal per call (a function, not one shared signal): the client then throws on
    // timeout, where with a plain signal it would turn the abort into a fake 200 answer.
    // The budget covers the retries too, so a call never takes longer than `timeoutMs`.
    signal: () => AbortSignal.timeout(timeoutMs),
    // The default is ~6 attempts over ~12 s with exponential backoff: far too long on a request path.
    retry: { retries: UPSTASH_RETRIES, backoff: () => UPSTASH_RETRY_BACKOFF_MS },
    // Raw strings back, decoded by `decodeCacheEntry`, which also accepts parsed objects.
    automaticDeserialization: false,
    enableTelemetry: false,
    // Each edge instance reads independently; it gains nothing from sync tokens.
    readYourWrites: false,
  });
  // Stateless HTTP: nothing to release.
  return upstashCacheOver(redis, config, options, async () => undefined);
}

/** Network retries within one call's budget, and the pause before one. */
export const UPSTASH_RETRIES = 1;
export const UPSTASH_RETRY_BACKOFF_MS = 10;

export function checkUpstashConfig({ url, token, timeoutMs }: UpstashCacheConfig): void {
  if (!/^https?:\/\//.test(url)) throw new TypeError(`createUpstashCache: url must be an http(s) URL, got "${url}"`);
  if (!token) throw new TypeError("createUpstashCache: token is required");
  if (!(timeoutMs > 0)) throw new TypeError("createUpstashCache: timeoutMs must be positive");
}

/** The store and the limiter over one Upstash client, whatever carries its requests (Fetch here, undici on Node). */
export function upstashCacheOver(redis: Redis, { prefix, timeoutMs }: UpstashCacheConfig, options: CacheOptions, close: () => Promise<void>): Cache {
  const counters: WindowCounters = {
    async add(key, by, ttlMs) {
      const [count] = await redis.multi().incrby(key, by).pexpire(key, ttlMs).exec<[unknown, unknown]>();
      return Number(count);
    },
  };
  return {
    store: createUpstashSessionStore(redis, { prefix, timeoutMs }),
    limiter: createRateLimiter(counters, { prefix, now: options.now ?? (() => new Date()) }),
    close,
  };
}
