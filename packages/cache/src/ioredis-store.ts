/** Session cache store over the `Cache`'s TCP connection (see ioredis-connection.ts). Node only. */
import { decodeCacheEntry, sessionCacheKey, type CacheEntry } from "@sesame/core";
import { toCacheUnavailable } from "./errors.ts";
import type { IoredisConnection } from "./ioredis-connection.ts";
import { PUT_ENTRY_SCRIPT, buildPutEntryArgs } from "./put-script.ts";
import type { SessionCacheStore } from "./store.ts";

export function createIoredisSessionStore({ redis, run }: IoredisConnection, prefix: string): SessionCacheStore {
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
  };
}
