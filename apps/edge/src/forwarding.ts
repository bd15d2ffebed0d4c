/**
 * The proxy headers the upstream may rely on. The edge vouches only for what it saw itself: the TCP
 * peer (or the platform's word for it), the Host asked for and the scheme.
 *
 * - `X-Forwarded-For`: the client's list with the peer appended (the right-most entry is the edge's).
 * - `Forwarded` (RFC 7239): likewise, the edge's element appended.
 * - `X-Real-IP`: a single value, so the edge's own: the peer.
 * - Peer unknown: all three are removed, since none of what the client sent could be told apart
 *   from what a proxy in front added.
 * - `X-Forwarded-Host` / `X-Forwarded-Proto`: always set by the edge.
 */

/** `headers`: lower-case names (proxy.ts `forwardableHeaders`). */
export function setForwardingHeaders(headers: Record<string, string>, incoming: URL, peerAddress: string | null): void {
  const clientForwardedFor = headers["x-forwarded-for"];
  const clientForwarded = headers.forwarded;
  delete headers["x-forwarded-for"];
  delete headers.forwarded;
  delete headers["x-real-ip"];
  const proto = incoming.protocol.slice(0, -1);
  headers["x-forwarded-host"] = incoming.host;
  headers["x-forwarded-proto"] = proto;
  if (!peerAddress) return;
  headers["x-forwarded-for"] = clientForwardedFor ? `${clientForwardedFor}, ${peerAddress}` : peerAddress;
  headers["x-real-ip"] = peerAddress;
  const element = `for=${forwardedNode(peerAddress)};host=${quoted(incoming.host)};proto=${proto}`;
  headers.forwarded = clientForwarded ? `${clientForwarded}, ${element}` : element;
}

/** RFC 7239 §6: IPv6 nodes are bracketed and, like anything with a colon, quoted. */
function forwardedNode(address: string): string {
  return address.includes(":") ? `"[${address}]"` : address;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/** The TCP peer under @hono/node-server, whose bindings carry Node's request; null on other runtimes. */
export function nodePeerAddress(bindings: unknown): string | null {
  const socket = (bindings as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming?.socket;
  const address = typeof socket?.remoteAddress === "string" ? socket.remoteAddress : null;
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  return address?.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** The request's headers as Node received them (`rawHeaders`) under @hono/node-server; null on other runtimes. */
export function nodeRawHeaders(bindings: unknown): readonly string[] | null {
  const rawHeaders = (bindings as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming?.rawHeaders;
  return Array.isArray(rawHeaders) ? (rawHeaders as string[]) : null;
}
