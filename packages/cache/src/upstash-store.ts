/**
 * Session cache store over the Upstash REST API. Fetch only, no `node:` imports: it runs on Node and
 * on edge runtimes (Workers, Vercel Edge).
 */
// The Cloudflare entry is the plain-fetch client: unlike the default (Node) entry it sets no
// `cache`/`agent` request options, which some edge runtimes reject.
import { Redis } from "@upstash/redis/cloudflare";
import { decodeCacheEntry, sessionCacheKey, type CacheEntry } from "@sesame/core";
import { withDeadline } from "./deadline.ts";
import { toCacheUnavailable } from "./errors.ts";
import { PUT_ENTRY_SCRIPT, buildPutEntryArgs } from "./put-script.ts";
import { DEFAULT_CACHE_PREFIX, DEFAULT_CACHE_TIMEOUT_MS, type SessionCacheStore } from "./store.ts";

export interface UpstashSessionStoreOptions {
  /** `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  /** Key namespace; default `"sesame:"`. */
  prefix?: string;
  /** Budget for one call, retries included; default 500 ms. */
  timeoutMs?: number;
  /** Network retries within that budget; default 1. */
  retries?: number;
}

/**
 * @example
 * const store = createUpstashSessionStore({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
 * const entry = await store.get(claims.sid);
 */
export function createUpstashSessionStore(options: UpstashSessionStoreOptions): SessionCacheStore {
  const { url, token, prefix = DEFAULT_CACHE_PREFIX, timeoutMs = DEFAULT_CACHE_TIMEOUT_MS, retries = 1 } = options;
  if (!/^https?:\/\//.test(url)) throw new TypeError(`createUpstashSessionStore: url must be an http(s) URL, got "${url}"`);
  if (!token) throw new TypeError("createUpstashSessionStore: token is required");
  if (!(timeoutMs > 0)) throw new TypeError("createUpstashSessionStore: timeoutMs must be positive");
  if (!Number.isInteger(retries) || retries < 0) throw new TypeError("createUpstashSessionStore: retries must be a non-negative integer");

  const redis = new Redis({
    url,
    token,
    // A fresh signal per call (a function, not one shared signal): the client then throws on
    // timeout, where with a plain signal it would turn the abort into a fake 200 answer.
    // The budget covers the retries too, so a call never takes longer than `timeoutMs`.
    signal: () => AbortSignal.timeout(timeoutMs),
    // The default is ~6 attempts over ~12 s with exponential backoff: far too long on a request path.
    retry: retries === 0 ? false : { retries, backoff: () => 10 },
    // Raw strings back, decoded by `decodeCacheEntry`, which also accepts parsed objects.
    automaticDeserialization: false,
    enableTelemetry: false,
    // Each edge instance reads independently; it gains nothing from sync tokens.
    readYourWrites: false,
  });
  const keyOf = (sessionId: string) => sessionCacheKey(prefix, sessionId);
  const readRaw = createBatchedReader(
    (keys) => (keys.length === 1 ? redis.get<unknown>(keys[0]!).then((value) => [value]) : redis.mget<unknown[]>(...keys)),
    timeoutMs,
  );

  return {
    async get(sessionId) {
      let raw: unknown;
      try {
        raw = await readRaw(keyOf(sessionId));
      } catch (error) {
        throw toCacheUnavailable("get", error);
      }
      return decodeCacheEntry(raw);
    },

    async put(entry, now) {
      try {
        const written = await redis.eval<string[], unknown>(PUT_ENTRY_SCRIPT, [keyOf(entry.sid)], buildPutEntryArgs(entry, now));
        return Number(written) === 1;
      } catch (error) {
        throw toCacheUnavailable("put", error);
      }
    },

    async putMany(entries: CacheEntry[], now) {
      if (entries.length === 0) return [];
      try {
        const pipeline = redis.pipeline();
        for (const entry of entries) pipeline.eval(PUT_ENTRY_SCRIPT, [keyOf(entry.sid)], buildPutEntryArgs(entry, now));
        const results = await pipeline.exec<unknown[]>();
        return results.map((written) => Number(written) === 1);
      } catch (error) {
        throw toCacheUnavailable("putMany", error);
      }
    },

    async ping() {
      try {
        await redis.ping();
      } catch (error) {
        throw toCacheUnavailable("ping", error);
      }
    },
  };
}

/** Runs `fn` after the current batch of I/O callbacks: setImmediate on Node, a zero timeout elsewhere. */
const afterCurrentIo: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === "function"
    ? (fn) => void (globalThis as unknown as { setImmediate(fn: () => void): unknown }).setImmediate(fn)
    : (fn) => void setTimeout(fn, 0);

/**
 * Collects the reads requested while the runtime handles one batch of incoming requests and sends
 * them as one MGET: each read over REST is an HTTP round trip, and under load many are in flight.
 *
 * Each caller also keeps its own deadline: on Workers, a batch started by a request that gets
 * cancelled may never settle, and the other requests waiting on it must not hang.
 */
function createBatchedReader(readMany: (keys: string[]) => Promise<unknown[]>, timeoutMs: number): (key: string) => Promise<unknown> {
  let pending: { key: string; resolve(value: unknown): void; reject(error: unknown): void }[] = [];
  function flush() {
    const batch = pending;
    pending = [];
    const keys = [...new Set(batch.map((item) => item.key))];
    readMany(keys).then(
      (values) => {
        const byKey = new Map(keys.map((key, index) => [key, values[index] ?? null]));
        for (const item of batch) item.resolve(byKey.get(item.key));
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  }
  return (key) => {
    const read = new Promise<unknown>((resolve, reject) => {
      if (pending.length === 0) afterCurrentIo(flush);
      pending.push({ key, resolve, reject });
    });
    return withDeadline(read, timeoutMs + 50, () => new Error(`no answer within ${timeoutMs} ms`));
  };
}
