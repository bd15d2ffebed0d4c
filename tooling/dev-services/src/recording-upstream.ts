/**
 * A real upstream server that records what the edge forwarded to it, for the edge's tests and the
 * cross-app stack. `/redirect` answers a redirect; everything else a JSON echo with a hop-by-hop header.
 */
import type { IncomingMessage } from "node:http";
import { Hono } from "hono";
import { listen, type HttpListener } from "@sesame/service-kit/node";

export interface RecordedRequest {
  method: string;
  path: string;
  /** The request target exactly as it arrived on the wire. */
  rawTarget: string;
  headers: Record<string, string>;
  /** Header names as they arrived on the wire (node's `req.rawHeaders`), in order. */
  rawHeaderNames: string[];
  body: string;
}

export interface RecordingUpstream extends HttpListener {
  requests: RecordedRequest[];
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const app = new Hono();
  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    // Served by @hono/node-server: the bindings carry node's IncomingMessage, unparsed.
    const incoming = (c.env as { incoming: IncomingMessage }).incoming;
    requests.push({
      method: c.req.method,
      path: `${url.pathname}${url.search}`,
      rawTarget: incoming.url ?? "",
      headers: Object.fromEntries(c.req.raw.headers),
      rawHeaderNames: incoming.rawHeaders.filter((_, index) => index % 2 === 0),
      body: await c.req.text(),
    });
    if (url.pathname === "/redirect") return c.redirect("http://127.0.0.1:1/elsewhere", 302);
    return c.json({ upstream: true, path: url.pathname }, 200, { "x-upstream": "yes", "x-hop": "drop-me", connection: "x-hop" });
  });
  const server = await listen(app.fetch);
  return { ...server, requests };
}
