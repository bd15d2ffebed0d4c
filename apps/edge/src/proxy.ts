/**
 * Forwards a request to the upstream with the verified identity attached: every forwarding rule
 * (which headers go, which are the edge's own, the exact path) lives here, whatever carries the bytes.
 */
import type { Context } from "hono";
import { proxy } from "hono/proxy";
import type { EdgeSession } from "./check-session.ts";
import { nodeRawHeaders, setForwardingHeaders } from "./forwarding.ts";
import { badGatewayResponse } from "./responses.ts";

/** Headers the upstream trusts as the edge's word: never taken from the client. */
export const IDENTITY_HEADER_PREFIX = "x-sesame-";
export const IDENTITY_HEADERS = {
  userId: "x-sesame-user-id",
  sessionId: "x-sesame-session-id",
  tenantId: "x-sesame-tenant-id",
  groups: "x-sesame-groups",
} as const;

/** RFC 9110 §7.6.1: meaningful for one connection only, so never forwarded. */
const HOP_BY_HOP_HEADERS = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

/**
 * Whether an upstream could read this header name as an identity header. CGI, WSGI and PHP turn
 * every non-alphanumeric character into `_` (nginx with `underscores_in_headers` passes `_` on), so
 * `X-Sesame_User_Id` and `x.sesame.groups` are identity headers too: punctuation folds to `-`.
 */
export function isIdentityHeaderName(name: string): boolean {
  // Only a name that starts with x/X and is long enough can fold to the prefix: most names are
  // answered without building the folded copy.
  if (name.length < IDENTITY_HEADER_PREFIX.length || (name.charCodeAt(0) | 0x20) !== 0x78) return false;
  return name.toLowerCase().replace(/[^a-z0-9]/g, "-").startsWith(IDENTITY_HEADER_PREFIX);
}

/** The header names a Connection header lists (lower case): hop-by-hop for that one message. */
export function connectionHeaderNames(connection: string | null | undefined): string[] {
  return connection ? connection.split(",").map((name) => name.trim().toLowerCase()) : [];
}

/**
 * Whether a response header from the upstream is for one connection only (its own list, or named by
 * its Connection header, as `connectionHeaderNames` reads it) and so not passed on to the client.
 */
export function isHopByHopResponseHeader(name: string, namedByConnection: readonly string[]): boolean {
  return HOP_BY_HOP_HEADERS.has(name) || namedByConnection.includes(name);
}

/**
 * The client's headers minus hop-by-hop ones (including those its Connection header names), `Expect`,
 * `Host` and identity headers, as a plain object of lower-case names: the forwarding rules below add
 * to it and either transport sends it as it is.
 *
 * `incoming`: the request's Fetch `Headers`, or, on Node, the socket's `rawHeaders` (name, value, …
 * as received) read directly: turning them into `Headers` first would cost more than the proxying.
 * Both give the same object: names in lower case, repeated headers joined as `Headers` joins them
 * (", ", and "; " for Cookie).
 */
export function forwardableHeaders(incoming: Headers | readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!Array.isArray(incoming)) {
    const named = connectionHeaderNames((incoming as Headers).get("connection"));
    for (const [name, value] of incoming as Headers) {
      if (isForwardable(name, named)) headers[name] = value;
    }
    return headers;
  }
  const raw = incoming as readonly string[];
  let named: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === "connection") named = named.concat(connectionHeaderNames(raw[i + 1]));
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // HTTP/2 pseudo-headers (`:path`, …) are not headers (Fetch's `Headers` leaves them out too).
    if (name.startsWith(":") || !isForwardable(name, named)) continue;
    const value = raw[i + 1]!;
    const earlier = headers[name];
    headers[name] = earlier === undefined ? value : `${earlier}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return headers;
}

function isForwardable(name: string, namedByConnection: readonly string[]): boolean {
  // `host`: the upstream sees its own; the original one travels as X-Forwarded-Host.
  // `expect`: the edge's own server has already answered `Expect: 100-continue` (Node does so by
  // itself) and the body is on its way; asking the upstream again would only stall (undici refuses it).
  return !(name === "host" || name === "expect" || HOP_BY_HOP_HEADERS.has(name) || namedByConnection.includes(name) || isIdentityHeaderName(name));
}

/**
 * One request for the upstream, after every forwarding rule above has been applied. `context` is the
 * Hono context it came from: a transport may read the body from it (and, on Node, the raw socket pair).
 */
export interface UpstreamRequest {
  /** The upstream's origin, `http(s)://host:port`. */
  origin: string;
  /** The request target sent upstream: the upstream's base path, the checked path, the client's query. */
  path: string;
  method: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  context: Context;
}

/**
 * How bytes reach the upstream: Fetch (this file, any runtime) or undici's pool (node-transport.ts,
 * Node). A transport changes no header and no path; it throws when the upstream cannot be reached.
 */
export type UpstreamTransport = (request: UpstreamRequest) => Promise<Response>;

/** The Fetch path (workerd, or wherever no transport is given): hono's proxy helper over `fetch`. */
export function createFetchTransport(fetchImpl?: typeof fetch): UpstreamTransport {
  return ({ origin, path, headers, context }) =>
    proxy(`${origin}${path}`, {
      raw: context.req.raw,
      headers,
      // Redirects go back to the client as they are; following them here would fetch on its behalf.
      redirect: "manual",
      ...(fetchImpl ? { customFetch: fetchImpl } : {}),
    });
}

export interface UpstreamProxyOptions {
  /** Base URL; its path, if any, prefixes every forwarded path. */
  upstreamUrl: string;
  /** Default: the Fetch transport over `fetch`. */
  transport?: UpstreamTransport;
  fetch?: typeof fetch;
  /** The client's address as the edge saw it (see forwarding.ts); null when unknown. */
  peerAddress?: (c: Context) => string | null;
}

/**
 * `path`: the normalised, encoded path that was checked (paths.ts); forwarded exactly. `url`: the
 * request's URL as already parsed for that check (its query, host and scheme are forwarded).
 */
export type UpstreamProxy = (c: Context, session: EdgeSession | null, path: string, url: URL) => Promise<Response>;

export function createUpstreamProxy(options: UpstreamProxyOptions): UpstreamProxy {
  const upstream = new URL(options.upstreamUrl);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") throw new TypeError("upstreamUrl must be http(s)");
  const basePath = upstream.pathname.replace(/\/+$/, "");
  const transport = options.transport ?? createFetchTransport(options.fetch);
  const peerAddress = options.peerAddress ?? (() => null);

  return async function proxyToUpstream(c, session, path, url) {
    // `path` is already encoded and holds no `?` or `#`; `search` is as the URL parser left it.
    const target = `${basePath}${path}${url.search}`;

    const headers = forwardableHeaders(nodeRawHeaders(c.env) ?? c.req.raw.headers);
    setForwardingHeaders(headers, url, peerAddress(c));
    if (session) {
      headers[IDENTITY_HEADERS.userId] = session.userId;
      headers[IDENTITY_HEADERS.sessionId] = session.sessionId;
      headers[IDENTITY_HEADERS.tenantId] = session.tenantId;
      headers[IDENTITY_HEADERS.groups] = session.groups.join(",");
    }

    try {
      return await transport({ origin: upstream.origin, path: target, method: c.req.method, headers, context: c });
    } catch {
      return badGatewayResponse();
    }
  };
}
