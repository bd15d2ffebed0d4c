/**
 * The standalone edge service: checks every request with `sessionAuth`, then proxies it to the
 * upstream with the identity headers. Fetch API only: the same app runs on Node and on workerd.
 */
import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { nodePeerAddress } from "./forwarding.ts";
import type { MfaFactor } from "@sesame/core";
import { sessionAuth, requireFactors, requireGroups, type SessionAuthOptions, type SessionVariables } from "./middleware.ts";
import { compilePathPattern, compileRouteGroupRule, isPublicPath, normalizeMethod, normalizeRequestPath, requiredGroupsFor } from "./paths.ts";
import { createUpstreamProxy, IDENTITY_HEADERS, type UpstreamTransport } from "./proxy.ts";
import { invalidPathResponse, invalidRequestResponse } from "./responses.ts";

export interface EdgeAppConfig extends SessionAuthOptions {
  /** Where checked requests go. */
  upstreamUrl: string;
  /** Paths proxied without a token (identity headers still stripped), e.g. `["/public/*", "/status"]`. */
  publicPaths?: string[];
  /** Groups required per path pattern, optionally for one method: `{ "/admin/*": ["admin"], "DELETE /orders/*": ["sales-lead"] }`. */
  routeGroups?: Record<string, string[]>;
  /** MFA factors required per path pattern, e.g. `{ "/payouts/*": ["totp"] }` (see `requireFactors`). */
  routeFactors?: Record<string, MfaFactor[]>;
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

/** `make` called once per distinct set of names (order does not matter). */
function memoizedGuards<N extends string, G>(make: (names: N[]) => G): (names: N[]) => G {
  const guards = new Map<string, G>();
  return (names) => {
    const key = [...names].sort().join("\n");
    let guard = guards.get(key);
    if (!guard) guards.set(key, (guard = make(names)));
    return guard;
  };
}

/** What a check's `next` returns (see `check`): the request goes on once the middlewares return. */
const DONE = Promise.resolve();
const NOTHING_REQUIRED = { requiredGroups: [], requiredFactors: [] };
/**
 * Headers of every forward-auth admission. An answer about one client's identity: never stored by a
 * shared cache. An explicit empty length: nginx reads only the headers of an auth answer and keeps
 * the connection only if no body follows. A fresh literal each time: a spread copy that then gains
 * the identity headers costs V8 ~30 times more (measured, Node 20).
 */
const forwardAuthAllowedHeaders = (): Record<string, string> => ({ "cache-control": "no-store", "content-length": "0" });

/** The edge's own routes; never proxied, whatever spelling reaches them. */
const EDGE_NAMESPACE = "/_sesame";
/** Forward-auth mode (CONTRACT §7): another proxy asks, the edge answers 200 with identity headers or refuses. */
const FORWARD_AUTH_PATH = `${EDGE_NAMESPACE}/auth`;

/** What the edge's rules say about one request, before any token is looked at. */
type RouteAccess =
  | { kind: "invalid"; problem: string }
  | { kind: "edge"; path: string }
  | { kind: "public"; path: string; encoded: string }
  | { kind: "protected"; path: string; encoded: string; requiredGroups: string[]; requiredFactors: MfaFactor[] };

/**
 * The original request of a forward-auth call, as the asking proxy states it: Envoy's ext_authz
 * appends the original path to `/_sesame/auth` and keeps the method; nginx, Traefik and Caddy send
 * `X-Forwarded-Uri` (or nginx's customary `X-Original-URI`) and `X-Forwarded-Method`. The proxy
 * must set these itself (the README's snippets do), overwriting whatever the client sent.
 */
function originalRequest(c: Context): { ok: true; pathname: string; method: string } | { ok: false; problem: string } {
  // Only a longer path can carry the original one (Envoy): the plain auth path (nginx & co.) needs no URL parsed.
  const own = c.req.path === FORWARD_AUTH_PATH ? null : new URL(c.req.url);
  const suffix = own ? own.pathname.slice(FORWARD_AUTH_PATH.length) : "";
  const uri = own && suffix.startsWith("/") ? `${suffix}${own.search}` : (c.req.header("x-forwarded-uri") ?? c.req.header("x-original-uri"));
  if (uri === undefined || uri === "") return { ok: false, problem: "Forward auth needs the original URI: set X-Forwarded-Uri (or X-Original-URI)" };
  let pathname: string;
  try {
    // Origin-form is read exactly as the edge reads its own request line (`//a/b` stays a path); absolute-form for its path.
    pathname = /^https?:\/\//i.test(uri) ? new URL(uri).pathname : uri.startsWith("/") ? new URL(`http://edge.invalid${uri}`).pathname : "";
  } catch {
    pathname = "";
  }
  if (!pathname) return { ok: false, problem: "X-Forwarded-Uri must be a path (/…) or an absolute http(s) URL" };
  const method = normalizeMethod(c.req.header("x-forwarded-method") ?? c.req.method);
  if (!method) return { ok: false, problem: "X-Forwarded-Method must be an HTTP method" };
  return { ok: true, pathname, method };
}

/**
 * @example
 * const app = createEdgeApp({ issuer, audience, jwksUrl, store, introspection, upstreamUrl: "http://127.0.0.1:3000" });
 * export default app; // or serve({ fetch: app.fetch })
 */
export function createEdgeApp(config: EdgeAppConfig): Hono<{ Variables: SessionVariables }> {
  const publicPatterns = (config.publicPaths ?? []).map(compilePathPattern);
  const groupRules = Object.entries(config.routeGroups ?? {}).map(([pattern, groups]) => compileRouteGroupRule(pattern, groups));
  // The same path (and method) matching as groups: a factor rule is a rule whose "groups" are factor names.
  const factorRules = Object.entries(config.routeFactors ?? {}).map(([pattern, factors]) => compileRouteGroupRule(pattern, factors));
  const auth = sessionAuth(config);
  const proxyToUpstream = createUpstreamProxy({
    upstreamUrl: config.upstreamUrl,
    peerAddress: config.peerAddress ?? ((c) => nodePeerAddress(c.env)),
    ...(config.transport ? { transport: config.transport } : {}),
    ...(config.fetch ? { fetch: config.fetch } : {}),
  });
  const fetchImpl = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const readinessTimeoutMs = config.readinessTimeoutMs ?? 2_000;
  // One guard per distinct group (or factor) set, built once rather than per request.
  const guardFor = memoizedGuards((groups: string[]) => requireGroups(...groups));
  const factorGuardFor = memoizedGuards((factors: MfaFactor[]) => requireFactors(...factors));

  /** One normalisation and one set of rules for the proxy and for forward auth: what is matched is what the upstream receives. */
  function routeAccess(pathname: string, method: string): RouteAccess {
    const normalized = normalizeRequestPath(pathname);
    if (!normalized.ok) return { kind: "invalid", problem: normalized.problem };
    const { path, encoded } = normalized;
    if (path === EDGE_NAMESPACE || path.startsWith(`${EDGE_NAMESPACE}/`)) return { kind: "edge", path };
    if (isPublicPath(publicPatterns, path)) return { kind: "public", path, encoded };
    return {
      kind: "protected",
      path,
      encoded,
      requiredGroups: requiredGroupsFor(groupRules, path, method),
      requiredFactors: requiredGroupsFor(factorRules, path, method) as MfaFactor[],
    };
  }

  /**
   * Checks the session, then that it holds the groups, then the factors (a session without the group
   * is told so before being asked for a code); a refusal is thrown (HTTPException). The caller goes
   * on once this returns, rather than inside a `next` closure built per request. Each middleware
   * admits by calling its `next`: one that returned without doing so has not admitted the request.
   */
  async function check(c: Context<{ Variables: SessionVariables }>, required: { requiredGroups: string[]; requiredFactors: MfaFactor[] }): Promise<void> {
    let admitted = 0;
    let expected = 1;
    await auth(c, () => ((admitted += 1), DONE));
    if (required.requiredGroups.length > 0) {
      expected += 1;
      await guardFor(required.requiredGroups)(c, () => ((admitted += 1), DONE));
    }
    if (required.requiredFactors.length > 0) {
      expected += 1;
      await factorGuardFor(required.requiredFactors)(c, () => ((admitted += 1), DONE));
    }
    if (admitted !== expected) throw new Error("a session check returned without admitting or refusing the request");
  }

  async function forwardAuth(c: Context<{ Variables: SessionVariables }>): Promise<Response> {
    const original = originalRequest(c);
    if (!original.ok) return invalidRequestResponse(original.problem);
    const access = routeAccess(original.pathname, original.method);
    if (access.kind === "invalid") return invalidPathResponse(access.problem);
    // Public: allowed with no identity (the asking proxy must drop client-sent x-sesame-* itself).
    if (access.kind === "public") return new Response(null, { status: 200, headers: forwardAuthAllowedHeaders() });
    await check(c, access.kind === "protected" ? access : NOTHING_REQUIRED);
    // `c.get`, not `c.var`: Hono builds a fresh object of every variable on each `c.var` read.
    const session = c.get("session");
    // A Response with a plain header object: @hono/node-server writes it as it is, where `c.body`
    // would build a Fetch `Headers` only for it to be read back out.
    const headers = forwardAuthAllowedHeaders();
    headers[IDENTITY_HEADERS.userId] = session.userId;
    headers[IDENTITY_HEADERS.sessionId] = session.sessionId;
    headers[IDENTITY_HEADERS.tenantId] = session.tenantId;
    headers[IDENTITY_HEADERS.groups] = session.groups.join(",");
    return new Response(null, { status: 200, headers });
  }

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
  // Any method: nginx's auth_request keeps the original one, and so does Envoy (which appends the path).
  app.all(FORWARD_AUTH_PATH, forwardAuth);
  app.all(`${FORWARD_AUTH_PATH}/*`, forwardAuth);
  // The edge's own namespace is never proxied.
  app.all("/_sesame/*", (c) => c.json({ error: "not_found" }, 404));

  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    const access = routeAccess(url.pathname, normalizeMethod(c.req.method) ?? c.req.method);
    if (access.kind === "invalid") return invalidPathResponse(access.problem);
    if (access.kind === "edge") return c.json({ error: "not_found" }, 404);
    if (access.kind === "public") return proxyToUpstream(c, null, access.encoded, url);
    await check(c, access);
    return proxyToUpstream(c, c.get("session"), access.encoded, url);
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    console.error("[sesame edge] unexpected error", error);
    return c.json({ error: "internal_error", message: "The edge failed to handle the request" }, 500);
  });

  return app;
}
