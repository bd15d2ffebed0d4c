/**
 * The cache backends the edge tests run against: the dev-services Upstash shim always (in front of
 * REDIS_URL when set, in memory otherwise), and the TCP store when REDIS_URL is set.
 */
import { randomUUID } from "node:crypto";
import { startUpstashShim } from "@sesame/dev-services";
import { createUpstashSessionStore, type SessionCacheStore } from "@sesame/cache";
import { createIoredisSessionStore } from "@sesame/cache/ioredis";

export interface StoreBackend {
  name: string;
  start(): Promise<{ store: SessionCacheStore; upstash?: { url: string; token: string }; prefix: string; stop(): Promise<void> }>;
}

export function storeBackends(env: Record<string, string | undefined>): StoreBackend[] {
  const redisUrl = env.REDIS_URL || undefined;
  const backends: StoreBackend[] = [
    {
      name: redisUrl ? "upstash store → shim over REDIS_URL" : "upstash store → in-memory shim",
      async start() {
        const token = randomUUID();
        const prefix = `sesame-edge-test:${randomUUID()}:`;
        const shim = await startUpstashShim({ port: 0, token, ...(redisUrl ? { redisUrl } : {}) });
        return {
          store: createUpstashSessionStore({ url: shim.url, token, prefix }),
          upstash: { url: shim.url, token },
          prefix,
          stop: () => shim.close(),
        };
      },
    },
  ];
  if (redisUrl) {
    backends.push({
      name: "ioredis store → REDIS_URL",
      async start() {
        const prefix = `sesame-edge-test:${randomUUID()}:`;
        const store = createIoredisSessionStore({ redis: redisUrl, prefix });
        return { store, prefix, stop: async () => store.close?.() };
      },
    });
  }
  return backends;
}
