/**
 * Session cache store over the Upstash REST API. Fetch only, no `node:` imports: it runs on Node and
 * on edge runtimes (Workers, Vercel Edge).
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { createCacheEntryDecoder, seenMarksKey, sessionCacheKey, type CacheEntry } from "@sesame/core";
import { withDeadline } from "./deadline.ts";
import { toCacheUnavailable } from "./errors.ts";
import { PUT_ENTRY_SCRIPT, buildPutEntryArgs } from "./put-script.ts";
import { seenMarksFromReply, type SessionCacheStore } from "./store.ts";

/** The store over the `Cache`'s client (see upstash-cache.ts), which bounds each call by `timeoutMs`. */
export function createUpstashSessionStore(redis: Redis, { prefix, timeoutMs }: { prefix: string; timeoutMs: number }): SessionCacheStore {
  const keyOf = (sessionId: string) => sessionCacheKey(prefix, sessionId);
  // Every request reads an entry, mostly the same few: each distinct value is validated once.
  const decodeEntry = createCacheEntryDecoder();
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
      return decodeEntry(raw);
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

    async markSeen(marks, { onlyNew = false } = {}) {
      if (marks.length === 0) return;
      try {
        const [first, ...rest] = marks.map((mark) => ({ score: mark.seenAt.getTime(), member: mark.sessionId }));
        if (onlyNew) await redis.zadd(seenMarksKey(prefix), { nx: true }, first!, ...rest);
        else await redis.zadd(seenMarksKey(prefix), first!, ...rest);
      } catch (error) {
        throw toCacheUnavailable("markSeen", error);
      }
    },

    async takeSeen(max) {
      try {
        return seenMarksFromReply(await redis.zpopmin<unknown>(seenMarksKey(prefix), max));
      } catch (error) {
        throw toCacheUnavailable("takeSeen", error);
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
