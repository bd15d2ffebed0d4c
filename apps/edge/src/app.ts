/**
 * The standalone edge service: checks every request with `sessionAuth`, then proxies it to the
 * upstream with the identity headers. Fetch API only: the same app runs on Node and on workerd.
 */
import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { nodePeerAddress } from "./forwarding.ts";
import { sessionAuth, requireGroups, type SessionAuthOptions, type SessionVariables } from "./middleware.ts";
import { compilePathPattern, isPublicPath, normalizeRequestPath, requiredGroupsFor } from "./paths.ts";
import { createUpstreamProxy, type UpstreamTransport } from "./proxy.ts";
import { invalidPathResponse } from "./responses.ts";

export interface EdgeAppConfig extends SessionAuthOptions {
  /** Where checked requests go. */
  upstreamUrl: string;
  /** Paths proxied without a token (identity headers still stripped), e.g. `["/public/*", "/status"]`. */
  publicPaths?: string[];
  /** Groups required per path pattern, e.g. `{ "/admin/*": ["admin"] }`. */
  routeGroups?: Record<string, string[]>;
  /** Budget for each `/readyz` probe; default 2 s. */
  readinessTimeoutMs?: number;
  /**
   * The client's address for `X-Forwarded-For`, `X-Real-IP` and `Forwarded` (see forwarding.ts).
   * Default: the TCP peer under @hono/node-server, unknown elsewhere.
   */
  peerAddress?: (c: Context) => string | null;
  /**
   * What carries requests to the upstream. Default: Fetch (any runtime). On Node, pass
   * `createNodeUpstreamTransport().forward` (`@sesame/edge/node`) for undici's pool.
   */
  transport?: UpstreamTransport;
}

/** The edge's own routes; never proxied, whatever spelling reaches them. */
const EDGE_NAMESPACE = "/_sesame";

/**
 * @example
 * const app = createEdgeApp({ issuer, audience, jwksUrl, store, introspection, upstreamUrl: "http://127.0.0.1:3000" });
 * export default app; // or serve({ fetch: app.fetch })
 */
export function createEdgeApp(config: EdgeAppConfig): Hono<{ Variables: SessionVariables }> {
  const publicPatterns = (config.publicPaths ?? []).map(compilePathPattern);
  const groupRules = Object.entries(config.routeGroups ?? {}).map(([pattern, groups]) => ({ pattern: compilePathPattern(pattern), groups }));
  const auth = sessionAuth(config);
  const proxyToUpstream = createUpstreamProxy({
    upstreamUrl: config.upstreamUrl,
    peerAddress: config.peerAddress ?? ((c) => nodePeerAddress(c.env)),
    ...(config.transport ? { transport: config.transport } : {}),
    ...(config.fetch ? { fetch: config.fetch } : {}),
  });
  const fetchImpl = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const readinessTimeoutMs = config.readinessTimeoutMs ?? 2_000;
  // One guard per distinct group set, built once rather than per request.
  const groupGuards = new Map<string, ReturnType<typeof requireGroups>>();
  const guardFor = (groups: string[]) => {
    const key = [...groups].sort().join("\n");
    let guard = groupGuards.get(key);
    if (!guard) groupGuards.set(key, (guard = requireGroups(...groups)));
    return guard;
  };

  /** "ok" or "unavailable": the reason goes to the log, never to a public endpoint. */
  async function probe(name: string, run: () => Promise<void>): Promise<"ok" | "unavailable"> {
    try {
      await run();
      return "ok";
    } catch (error) {
      console.warn(`[sesame edge] readiness: ${name} unavailable: ${error instanceof Error ? error.message : String(error)}`);
      return "unavailable";
    }
  }

  const app = new Hono<{ Variables: SessionVariables }>();

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", async (c) => {
    const [cache, jwks] = await Promise.all([
      probe("cache", () => config.store.ping()),
      probe("jwks", async () => {
        const response = await fetchImpl(config.jwksUrl, { signal: AbortSignal.timeout(readinessTimeoutMs), redirect: "manual" });
        const body = (await response.json().catch(() => null)) as { keys?: unknown } | null;
        if (response.status !== 200 || !Array.isArray(body?.keys)) throw new Error(`JWKS answered ${response.status}`);
      }),
    ]);
    const ready = cache === "ok" && jwks === "ok";
    return c.json({ status: ready ? "ready" : "unavailable", checks: { cache, jwks } }, ready ? 200 : 503);
  });

  // An identity answer must never be stored by a shared cache.
  app.get("/_sesame/whoami", auth, (c) => c.json(c.var.session, 200, { "cache-control": "no-store" }));
  // The edge's own namespace is never proxied.
  app.all("/_sesame/*", (c) => c.json({ error: "not_found" }, 404));

  app.all("*", async (c, next) => {
    // One normalisation: what is matched below is exactly what the upstream receives.
    const normalized = normalizeRequestPath(new URL(c.req.url).pathname);
    if (!normalized.ok) return invalidPathResponse(normalized.problem);
    const { path, encoded } = normalized;
    if (path === EDGE_NAMESPACE || path.startsWith(`${EDGE_NAMESPACE}/`)) return c.json({ error: "not_found" }, 404);
    if (isPublicPath(publicPatterns, path)) return proxyToUpstream(c, null, encoded);
    const required = requiredGroupsFor(groupRules, path);
    let response: Response | undefined;
    const forward = async () => {
      response = await proxyToUpstream(c, c.var.session, encoded);
    };
    await auth(c, required.length === 0 ? forward : async () => void (await guardFor(required)(c, forward)));
    return response ?? next();
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    console.error("[sesame edge] unexpected error", error);
    return c.json({ error: "internal_error", message: "The edge failed to handle the request" }, 500);
  });

  return app;
}
