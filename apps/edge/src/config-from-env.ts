import { createUpstashCache, type Cache } from "@sesame/cache";
import type { EdgeEnv } from "./env.ts";

/** The fetch-only cache for edge runtimes; the Node entry uses `createCache`, which may open a TCP connection. */
export function createUpstashCacheFromEnv(env: EdgeEnv): Cache {
  if (env.cache.kind !== "upstash") {
    throw new Error(`SESAME_EDGE_STORE=tcp (${env.cache.kind === "cluster" ? "REDIS_CLUSTER_NODES" : "REDIS_URL"}) needs a TCP socket: use it with the Node entry, not on an edge runtime`);
  }
  return createUpstashCache(env.cache);
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
    routeFactors: env.routeFactors,
  };
}
