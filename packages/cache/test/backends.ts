/**
 * The stores the contract suite runs against, built from what this machine has: the in-memory
 * Upstash shim always; the shim in front of Redis and the TCP store when REDIS_URL is set.
 */
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis } from "ioredis";
import { startUpstashShim } from "@sesame/dev-services";
import { createUpstashSessionStore } from "../src/upstash-store.ts";
import { createIoredisSessionStore } from "../src/ioredis-store.ts";
import type { SessionCacheStore } from "../src/store.ts";

/** Direct access to the keys, to plant malformed values and read TTLs. */
export interface RawRedis {
  set(key: string, value: string): Promise<void>;
  pttl(key: string): Promise<number>;
}

export interface StartedBackend {
  createStore(prefix: string): SessionCacheStore;
  raw: RawRedis;
  stop(): Promise<void>;
}

export interface Backend {
  name: string;
  start(): Promise<StartedBackend>;
}

const SHIM_TOKEN = "contract-test-token";

function upstashRaw(url: string, token: string): RawRedis {
  const client = new UpstashRedis({ url, token, automaticDeserialization: false, enableTelemetry: false });
  return {
    set: async (key, value) => void (await client.set(key, value, { px: 60_000 })),
    pttl: (key) => client.pttl(key),
  };
}

function upstashBackend(name: string, redisUrl?: string): Backend {
  return {
    name,
    async start() {
      const shim = await startUpstashShim({ port: 0, token: SHIM_TOKEN, ...(redisUrl ? { redisUrl } : {}) });
      return {
        createStore: (prefix) => createUpstashSessionStore({ url: shim.url, token: shim.token, prefix }),
        raw: upstashRaw(shim.url, shim.token),
        stop: () => shim.close(),
      };
    },
  };
}

function ioredisBackend(name: string, redisUrl: string, shared: boolean): Backend {
  return {
    name,
    async start() {
      const client = new Redis(redisUrl);
      const stores: SessionCacheStore[] = [];
      return {
        createStore(prefix) {
          const store = createIoredisSessionStore({ redis: shared ? client : redisUrl, prefix });
          stores.push(store);
          return store;
        },
        raw: {
          set: async (key, value) => void (await client.set(key, value, "PX", 60_000)),
          pttl: (key) => client.pttl(key),
        },
        async stop() {
          await Promise.all(stores.map((store) => store.close?.()));
          await client.quit();
        },
      };
    },
  };
}

export function availableBackends(env: Record<string, string | undefined>): Backend[] {
  const backends = [upstashBackend("upstash store → in-memory Upstash shim")];
  const redisUrl = env.REDIS_URL;
  if (redisUrl) {
    backends.push(upstashBackend("upstash store → Upstash shim over REDIS_URL", redisUrl));
    backends.push(ioredisBackend("ioredis store (own connection) → REDIS_URL", redisUrl, false));
    backends.push(ioredisBackend("ioredis store (shared client) → REDIS_URL", redisUrl, true));
  }
  return backends;
}
