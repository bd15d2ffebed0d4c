import { createUpstashSessionStore, type SessionCacheStore } from "@sesame/cache";
import type { EdgeEnv } from "./env.ts";

/** The fetch-only store for edge runtimes; the TCP store is built by node.ts, which may import ioredis. */
export function createUpstashStoreFromEnv(env: EdgeEnv): SessionCacheStore {
  if (env.store.kind !== "upstash") {
    throw new Error("SESAME_EDGE_STORE=tcp needs a TCP socket: use it with the Node entry, not on an edge runtime");
  }
  return createUpstashSessionStore({ url: env.store.url, token: env.store.token, prefix: env.cachePrefix });
}

/** The app configuration an `EdgeEnv` describes, minus the store and the upstream. */
export function authOptionsFromEnv(env: EdgeEnv) {
  return {
    issuer: env.issuer,
    audience: env.audience,
    jwksUrl: env.jwksUrl,
    introspection: { url: env.introspectionUrl, secret: env.introspectionSecret },
    publicPaths: env.publicPaths,
    routeGroups: env.routeGroups,
  };
}
