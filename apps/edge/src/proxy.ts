/**
 * Forwards a request to the upstream with the verified identity attached. Fetch API only (hono's
 * proxy helper), so it runs on Node and on workerd alike.
 */
import type { Context } from "hono";
import { proxy } from "hono/proxy";
import type { EdgeSession } from "./check-session.ts";
import { setForwardingHeaders } from "./forwarding.ts";

/** Headers the upstream trusts as the edge's word: never taken from the client. */
export const IDENTITY_HEADER_PREFIX = "x-sesame-";
export const IDENTITY_HEADERS = {
  userId: "x-sesame-user-id",
  sessionId: "x-sesame-session-id",
  tenantId: "x-sesame-tenant-id",
  groups: "x-sesame-groups",
} as const;

/** RFC 9110 §7.6.1: meaningful for one connection only, so never forwarded. */
const HOP_BY_HOP_HEADERS = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

/**
 * Whether an upstream could read this header name as an identity header. CGI, WSGI and PHP turn
 * every non-alphanumeric character into `_` (nginx with `underscores_in_headers` passes `_` on), so
 * `X-Sesame_User_Id` and `x.sesame.groups` are identity headers too: punctuation folds to `-`.
 */
export function isIdentityHeaderName(name: string): boolean {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "-").startsWith(IDENTITY_HEADER_PREFIX);
}

/** The client's headers minus hop-by-hop ones (including those its Connection header names) and identity headers. */
export function forwardableHeaders(incoming: Headers): Headers {
  const headers = new Headers(incoming);
  const named = (incoming.get("connection") ?? "").split(",").map((name) => name.trim().toLowerCase());
  for (const name of [...headers.keys()]) {
    if (isIdentityHeaderName(name) || HOP_BY_HOP_HEADERS.includes(name) || named.includes(name)) headers.delete(name);
  }
  return headers;
}

export interface UpstreamProxyOptions {
  /** Base URL; its path, if any, prefixes every forwarded path. */
  upstreamUrl: string;
  fetch?: typeof fetch;
  /** The client's address as the edge saw it (see forwarding.ts); null when unknown. */
  peerAddress?: (c: Context) => string | null;
}

/** `path`: the normalised, encoded path that was checked (paths.ts); forwarded exactly. */
export type UpstreamProxy = (c: Context, session: EdgeSession | null, path: string) => Promise<Response>;

export function createUpstreamProxy(options: UpstreamProxyOptions): UpstreamProxy {
  const upstream = new URL(options.upstreamUrl);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") throw new TypeError("upstreamUrl must be http(s)");
  const basePath = upstream.pathname.replace(/\/+$/, "");
  const fetchImpl = options.fetch;
  const peerAddress = options.peerAddress ?? (() => null);

  return async function proxyToUpstream(c, session, path) {
    const incoming = new URL(c.req.url);
    const target = new URL(upstream.origin);
    target.pathname = `${basePath}${path}`;
    target.search = incoming.search;

    const headers = forwardableHeaders(c.req.raw.headers);
    // The upstream sees its own host; the original one travels as X-Forwarded-Host.
    headers.delete("host");
    setForwardingHeaders(headers, incoming, peerAddress(c));
    if (session) {
      headers.set(IDENTITY_HEADERS.userId, session.userId);
      headers.set(IDENTITY_HEADERS.sessionId, session.sessionId);
      headers.set(IDENTITY_HEADERS.tenantId, session.tenantId);
      headers.set(IDENTITY_HEADERS.groups, session.groups.join(","));
    }

    try {
      return await proxy(target, {
        raw: c.req.raw,
        headers,
        // Redirects go back to the client as they are; following them here would fetch on its behalf.
        redirect: "manual",
        ...(fetchImpl ? { customFetch: fetchImpl } : {}),
      });
    } catch {
      return new Response(JSON.stringify({ error: "bad_gateway", message: "The upstream did not answer" }), {
        status: 502,
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      });
    }
  };
}
