import { Redis } from "ioredis";

/** Removes every key starting with `prefix` (SCAN, then UNLINK in batches). */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    // Glob characters in the prefix would widen the match: escape them.
    const stream = redis.scanStream({ match: `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, count: 500 });
    for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}
