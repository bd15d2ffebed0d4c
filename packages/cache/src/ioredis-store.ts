/** Session cache store over the `Cache`'s TCP connection (see ioredis-connection.ts). Node only. */
import { createCacheEntryDecoder, seenMarksKey, sessionCacheKey, type CacheEntry } from "@sesame/core";
import type { IoredisConnection } from "./ioredis-connection.ts";
import { PUT_ENTRY_SCRIPT, buildPutEntryArgs } from "./put-script.ts";
import { seenMarkArgs, seenMarksFromReply, type SessionCacheStore } from "./store.ts";

export function createIoredisSessionStore({ redis, run }: IoredisConnection, prefix: string): SessionCacheStore {
  const keyOf = (sessionId: string) => sessionCacheKey(prefix, sessionId);
  // Every request reads an entry, mostly the same few: each distinct value is validated once.
  const decodeEntry = createCacheEntryDecoder();
  return {
    async get(sessionId) {
      const raw = await run("get", () => redis.get(keyOf(sessionId)));
      return decodeEntry(raw);
    },

    async put(entry, now) {
      const written = await run("put", () => redis.eval(PUT_ENTRY_SCRIPT, 1, keyOf(entry.sid), ...buildPutEntryArgs(entry, now)));
      return Number(written) === 1;
    },

    async putMany(entries: CacheEntry[], now) {
      if (entries.length === 0) return [];
      // One script per entry, issued together: auto-pipelining sends them in one write per
      // connection (per master on a cluster, where one pipeline may not span slots).
      const results = await run("putMany", () =>
        Promise.all(entries.map((entry) => redis.eval(PUT_ENTRY_SCRIPT, 1, keyOf(entry.sid), ...buildPutEntryArgs(entry, now)))),
      );
      return results.map((written) => Number(written) === 1);
    },

    async markSeen(marks, { onlyNew = false } = {}) {
      if (marks.length === 0) return;
      const args = seenMarkArgs(marks);
      await run("markSeen", () => (onlyNew ? redis.zadd(seenMarksKey(prefix), "NX", ...args) : redis.zadd(seenMarksKey(prefix), ...args)));
    },

    async takeSeen(max) {
      return seenMarksFromReply(await run("takeSeen", () => redis.zpopmin(seenMarksKey(prefix), max)));
    },

    async ping() {
      await run("ping", () => redis.ping());
    },
  };
}
