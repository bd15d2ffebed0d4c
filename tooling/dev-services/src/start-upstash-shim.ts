/**
 * Serves the Upstash-compatible shim over HTTP, in front of a Redis server or in memory.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import RedisMock from "ioredis-mock";
import { listen } from "@sesame/service-kit/node";
import { redactUrl } from "@sesame/service-kit";
import { createUpstashShim } from "./upstash-shim.ts";

export interface StartUpstashShimOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The bearer token clients must send. */
  token: string;
  /** A Redis server to front (`REDIS_URL`); absent = a private in-memory store. */
  redisUrl?: string;
}

export interface UpstashShimHandle {
  /** `UPSTASH_REDIS_REST_URL` for clients, e.g. http://127.0.0.1:8079. */
  url: string;
  /** `UPSTASH_REDIS_REST_TOKEN` for clients. */
  token: string;
  close(): Promise<void>;
}

export async function startUpstashShim(options: StartUpstashShimOptions): Promise<UpstashShimHandle> {
  const { host = "127.0.0.1", port = 0, token, redisUrl } = options;
  const redis = redisUrl ? await connectRedis(redisUrl) : createMemoryStore();
  let listener;
  try {
    listener = await listen(createUpstashShim({ redis, token }).fetch, { host, port });
  } catch (error) {
    await closeRedis(redis, Boolean(redisUrl));
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: listener.url,
    token,
    close: () => (closing ??= listener.close().then(() => closeRedis(redis, Boolean(redisUrl)))),
  };
}

// ioredis-mock instances that share host:port/db share their data, even with distinct key
// prefixes; a unique host gives each shim a store of its own.
function createMemoryStore(): Redis {
  return new RedisMock({ host: `memory-${randomUUID()}` });
}

async function connectRedis(url: string): Promise<Redis> {
  // Fail a request after a short reconnect attempt rather than queueing it for ever.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5_000 });
  let lastError = "";
  redis.on("error", (error: Error) => {
    if (error.message !== lastError) console.warn(`[upstash-shim] redis ${redactUrl(url)}: ${error.message}`);
    lastError = error.message;
  });
  redis.on("ready", () => (lastError = ""));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${lastError || (error as Error).message}`, { cause: error });
  }
}

async function closeRedis(redis: Redis, real: boolean): Promise<void> {
  if (real) {
    await redis.quit().catch(() => redis.disconnect());
    return;
  }
  // The mock keeps every store in a module-level map; empty this one so it can be collected.
  await redis.flushall();
  redis.disconnect();
}
