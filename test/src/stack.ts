/**
 * The whole system on local ports for cross-app tests: the real API (over the run's Postgres and
 * cache), the real edge in front of a recording upstream, and typed clients.
 */
import { randomBytes } from "node:crypto";
import { startApi, type ApiHarness } from "@sesame/api/testing";
import type { CacheConfig } from "@sesame/cache";
import { createCache } from "@sesame/cache/node";
import { createSesameClient } from "@sesame/client";
import type { SesameBackends } from "@sesame/dev-services";
import { createEdgeApp, edgeOptionsForApi, type EdgeAppConfig } from "@sesame/edge";
import { listen } from "@sesame/service-kit/node";

export interface UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** An upstream that answers 200 and remembers what reached it. */
export async function startRecordingUpstream() {
  const seen: UpstreamRequest[] = [];
  const server = await listen((req) => {
    seen.push({ method: req.method, path: new URL(req.url).pathname, headers: Object.fromEntries(req.headers) });
    return new Response("upstream ok");
  });
  return { ...server, seen };
}

export interface StackOptions {
  backends: SesameBackends;
  /** The cache the edge reads, in the API's key space: the API's own (Upstash, the run's endpoint) by default, or TCP on `REDIS_URL`. */
  edgeCache?: CacheConfig["kind"];
  edge?: Partial<EdgeAppConfig>;
  api?: Parameters<typeof startApi>[0];
}

export async function startStack(options: StackOptions) {
  const api: ApiHarness = await startApi({ backends: options.backends, ...options.api });
  const upstream = await startRecordingUpstream();
  const cache = createCache(edgeCacheConfig(options.edgeCache ?? "upstash", api.config.cache, options.backends));
  const store = cache.store;
  const edgeApp = createEdgeApp({
    ...edgeOptionsForApi({ apiUrl: api.url, secret: api.config.introspectionSecret, issuer: api.config.issuer, audience: api.config.audience }),
    store,
    upstreamUrl: upstream.url,
    ...options.edge,
  });
  const edge = await listen(edgeApp.fetch);
  const { tenant, key } = await api.root().tenants.create.mutate({ code: `E${randomBytes(5).toString("hex").toUpperCase()}`, name: "stack" });
  const admin = createSesameClient({ url: api.url, apiKey: key });
  return {
    api,
    admin,
    tenant,
    edge,
    upstream,
    store,
    /** A request through the edge with an access token. */
    get: (path: string, accessToken?: string) =>
      fetch(`${edge.url}${path}`, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} }),
    /** A user with one session; returns the session's tokens. */
    async newSession(groups: string[] = []) {
      const user = await admin.users.create.mutate({ username: `u${randomBytes(6).toString("hex")}` });
      const started = await admin.sessions.create.mutate({ userId: user.id, accessGroups: groups });
      return { user, ...started };
    },
    async stop() {
      await edge.close();
      await upstream.close();
      await cache.close();
      await api.stop();
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

function edgeCacheConfig(kind: CacheConfig["kind"], apiCache: CacheConfig, backends: SesameBackends): CacheConfig {
  if (kind === apiCache.kind) return apiCache;
  if (kind === "upstash") throw new Error("startStack: an Upstash edge cache needs an API on Upstash");
  if (!backends.redisUrl) throw new Error("startStack: a TCP edge cache needs REDIS_URL");
  return { kind: "tcp", url: backends.redisUrl, prefix: apiCache.prefix, timeoutMs: apiCache.timeoutMs };
}
