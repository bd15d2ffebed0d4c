/**
 * The whole system on local ports, for the cross-app tests and the revocation run: the real API
 * (over the run's Postgres and cache), the real edge in front of a recording upstream, a tenant,
 * and typed clients.
 */
import { randomBytes } from "node:crypto";
import { startApi, uniqueTenantCode, type ApiHarness, type HarnessOptions } from "@sesame/api/testing";
import type { CacheConfig } from "@sesame/cache";
import { createCache } from "@sesame/cache/node";
import { createSesameClient } from "@sesame/client";
import { startRecordingUpstream, type SesameBackends } from "@sesame/dev-services";
import { createEdgeApp, edgeOptionsForApi, type EdgeAppConfig } from "@sesame/edge";
import { listen } from "@sesame/service-kit/node";

export interface StackOptions {
  backends: SesameBackends;
  /**
   * The cache the edge reads, in the API's key space: by default the API's own (Upstash, the run's
   * endpoint) with the API's budget; `kind: "tcp"` reads the same keys over `REDIS_URL`.
   */
  edgeCache?: { kind?: CacheConfig["kind"]; timeoutMs?: number };
  edge?: Partial<EdgeAppConfig>;
  /** For the API; give inline signing keys when the run restarts it, so its tokens stay valid. */
  api?: HarnessOptions;
}

export async function startStack(options: StackOptions) {
  const { backends } = options;
  let api: ApiHarness | null = await startApi({ backends, ...options.api });
  // A restart comes back on the same port with the same settings (secrets, keys), as a real one would.
  const apiConfig = api.config;
  const apiUrl = api.url;
  const apiPort = Number(new URL(apiUrl).port);
  const upstream = await startRecordingUpstream();
  const cache = createCache(edgeCacheConfig(apiConfig.cache, backends, options.edgeCache));
  const store = cache.store;
  const edgeApp = createEdgeApp({
    ...edgeOptionsForApi({ apiUrl, secret: apiConfig.introspectionSecret, issuer: apiConfig.issuer, audience: apiConfig.audience }),
    store,
    upstreamUrl: upstream.url,
    ...options.edge,
  });
  const edge = await listen(edgeApp.fetch);
  const { tenant, key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode("E"), name: "stack" });
  const admin = createSesameClient({ url: apiUrl, apiKey: key });
  return {
    get api(): ApiHarness {
      if (!api) throw new Error("the stack's API is stopped");
      return api;
    },
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
    /** An API outage, as the edge sees it; `startApi` ends it. */
    async stopApi() {
      await api?.stop();
      api = null;
    },
    async startApi() {
      api ??= await startApi({ ...options.api, backends, config: apiConfig, port: apiPort });
    },
    async stop() {
      await edge.close();
      await upstream.close();
      await cache.close();
      await api?.stop();
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

function edgeCacheConfig(apiCache: CacheConfig, backends: SesameBackends, wanted: StackOptions["edgeCache"] = {}): CacheConfig {
  const { kind = apiCache.kind, timeoutMs = apiCache.timeoutMs } = wanted;
  if (kind === apiCache.kind) return { ...apiCache, timeoutMs };
  if (kind === "tcp" && backends.redisUrl) return { kind: "tcp", url: backends.redisUrl, prefix: apiCache.prefix, timeoutMs };
  throw new Error(`startStack: this run has no ${kind} cache in the API's key space`);
}
