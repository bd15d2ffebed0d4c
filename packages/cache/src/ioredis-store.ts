/**
 * Session cache store over a TCP Redis connection (ioredis). Node only: import it as
 * `@sesame/cache/ioredis`, never from code that must run on edge runtimes.
 */
import { Redis } from "ioredis";
import { decodeCacheEntry, sessionCacheKey, type CacheEntry } from "@sesame/core";
import { CacheUnavailableError, toCacheUnavailable } from "./errors.ts";
import { withDeadline } from "./deadline.ts";
import { PUT_ENTRY_SCRIPT, buildPutEntryArgs } from "./put-script.ts";
import { DEFAULT_CACHE_PREFIX, DEFAULT_CACHE_TIMEOUT_MS, type SessionCacheStore } from "./store.ts";

export interface IoredisSessionStoreOptions {
  /**
   * A `redis://` URL (the store opens and owns a fail-fast connection), or an existing client
   * (shared, left open by `close()`; its own timeouts apply, plus this store's `timeoutMs`).
   */
  redis: Redis | string;
  /** Key namespace; default `"sesame:"`. */
  prefix?: string;
  /** Budget for one call; default 500 ms. */
  timeoutMs?: number;
}

/**
 * @example
 * const store = createIoredisSessionStore({ redis: env.REDIS_URL });
 * await store.put(entry, new Date());
 */
export function createIoredisSessionStore(options: IoredisSessionStoreOptions): SessionCacheStore {
  const { prefix = DEFAULT_CACHE_PREFIX, timeoutMs = DEFAULT_CACHE_TIMEOUT_MS } = options;
  if (!(timeoutMs > 0)) throw new TypeError("createIoredisSessionStore: timeoutMs must be positive");
  const owned = typeof options.redis === "string";
  const redis =
    typeof options.redis === "string"
      ? new Redis(options.redis, {
          commandTimeout: timeoutMs,
          connectTimeout: Math.max(timeoutMs, 1_000),
          // Commands are not queued while disconnected: a request must fall back to the API at once,
          // not wait for a reconnect. `ready()` below covers the first connection.
          enableOfflineQueue: false,
          // Commands issued in the same tick go out in one write: at 50 concurrent requests this
          // halves the per-request syscall and parse cost on both sides.
          enableAutoPipelining: true,
          maxRetriesPerRequest: 1,
          retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
        })
      : options.redis;
  // ioredis reports connection errors as events; unobserved, it prints them on every reconnect.
  if (owned) redis.on("error", () => {});
  let connectedOnce = redis.status === "ready";
  redis.on("ready", () => {
    connectedOnce = true;
  });

  /** Waits for the first connection (bounded); once connected, a lost connection fails at once. */
  async function ready(): Promise<void> {
    if (redis.status === "ready") return;
    if (redis.status === "end") throw new CacheUnavailableError("Session cache connection is closed");
    if (connectedOnce && owned) throw new CacheUnavailableError(`Session cache connection lost (${redis.status})`);
    if (redis.status === "wait") redis.connect().catch(() => {});
    // One wait shared by every caller: a burst of requests at startup adds two listeners, not hundreds.
    firstConnection ??= waitForReady().finally(() => {
      firstConnection = undefined;
    });
    return firstConnection;
  }
  let firstConnection: Promise<void> | undefined;

  function waitForReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(new CacheUnavailableError(`Session cache not connected after ${timeoutMs} ms`)), timeoutMs);
      const onReady = () => settle();
      const onError = (error: unknown) => settle(toCacheUnavailable("connect", error));
      function settle(error?: CacheUnavailableError) {
        clearTimeout(timer);
        redis.off("ready", onReady);
        redis.off("error", onError);
        if (error) reject(error);
        else resolve();
      }
      redis.once("ready", onReady);
      redis.once("error", onError);
    });
  }

  /** A shared client may have no command timeout of its own: bound every call here too. */
  async function run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      await ready();
      if (owned) return await command();
      return await withDeadline(command(), timeoutMs, () => new CacheUnavailableError(`Session cache ${operation} timed out after ${timeoutMs} ms`));
    } catch (error) {
      throw toCacheUnavailable(operation, error);
    }
  }

  const keyOf = (sessionId: string) => sessionCacheKey(prefix, sessionId);

  return {
    async get(sessionId) {
      const raw = await run("get", () => redis.get(keyOf(sessionId)));
      return decodeCacheEntry(raw);
    },

    async put(entry, now) {
      const written = await run("put", () => redis.eval(PUT_ENTRY_SCRIPT, 1, keyOf(entry.sid), ...buildPutEntryArgs(entry, now)));
      return Number(written) === 1;
    },

    async putMany(entries: CacheEntry[], now) {
      if (entries.length === 0) return [];
      const results = await run("putMany", async () => {
        const pipeline = redis.pipeline();
        for (const entry of entries) pipeline.eval(PUT_ENTRY_SCRIPT, 1, keyOf(entry.sid), ...buildPutEntryArgs(entry, now));
        return (await pipeline.exec()) ?? [];
      });
      return results.map(([error, written]) => {
        if (error) throw toCacheUnavailable("putMany", error);
        return Number(written) === 1;
      });
    },

    async ping() {
      await run("ping", () => redis.ping());
    },

    async close() {
      if (owned && redis.status !== "end") await redis.quit().catch(() => redis.disconnect());
    },
  };
}
