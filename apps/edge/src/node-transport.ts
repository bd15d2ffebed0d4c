/**
 * The Node transport: undici's pooled dispatcher (keep-alive, bounded connections, connect, header
 * and body timeouts), streaming both ways. Under @hono/node-server it pipes the client's socket to
 * the upstream and the upstream's answer straight back to the client, with no Fetch objects in
 * between; elsewhere on Node (app.request in tests, other adapters) it answers with a Response.
 * Node only: the Workers entry keeps the Fetch transport (proxy.ts).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Agent } from "undici";
import { connectionHeaderNames, isHopByHopResponseHeader, type UpstreamTransport } from "./proxy.ts";

export interface NodeUpstreamTransportOptions {
  /** Most connections open to each upstream origin at once; requests beyond them queue. Default 128. */
  connections?: number;
  /** Budget to open a connection; default 5 s. */
  connectTimeoutMs?: number;
  /** Budget for the upstream's status line and headers; default 30 s. */
  headersTimeoutMs?: number;
  /** Longest silence between two chunks of the upstream's body; default 30 s. */
  bodyTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept; default 4 s (below Node's own 5 s server default). */
  keepAliveTimeoutMs?: number;
}

export interface NodeUpstreamTransport {
  forward: UpstreamTransport;
  /** Closes the pool's connections once the requests in flight are done. */
  close(): Promise<void>;
}

/** Statuses whose response never has a body (Fetch refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The upstream's body to the client, with backpressure. A failure mid-body (upstream gone, body
 * timeout) ends the client's connection, the status being already out; a client gone early stops
 * the upstream's body. `pipe` plus two listeners rather than `stream.pipeline`, which builds an
 * AbortController (and a DOMException on completion) per response.
 */
function pipeBody(body: Readable, outgoing: ServerResponse): void {
  body.once("error", () => outgoing.destroy());
  outgoing.once("close", () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(outgoing);
}

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/**
 * @example
 * const upstream = createNodeUpstreamTransport();
 * const app = createEdgeApp({ ...options, upstreamUrl, transport: upstream.forward });
 */
export function createNodeUpstreamTransport(options: NodeUpstreamTransportOptions = {}): NodeUpstreamTransport {
  // One pool per upstream origin (the edge has one), kept by the agent.
  const pool = new Agent({
    connections: options.connections ?? 128,
    connect: { timeout: options.connectTimeoutMs ?? 5_000 },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  });

  const forward: UpstreamTransport = async ({ origin, path, method, headers, context }) => {
    const bindings = context.env as NodeBindings | undefined;
    const incoming = bindings?.incoming;
    const outgoing = bindings?.outgoing;
    const hasBody = method !== "GET" && method !== "HEAD";
    // The client's own stream when Node's request is at hand and unread; otherwise the Fetch body.
    const body = !hasBody ? null : incoming && !incoming.readableDidRead ? incoming : context.req.raw.body ? Readable.fromWeb(context.req.raw.body as never) : null;

    const answer = await pool.request({
      origin,
      path,
      method: method as "GET",
      headers,
      body,
    });
    const connection = answer.headers.connection;
    const named = connectionHeaderNames(typeof connection === "string" ? connection : undefined);
    const responseHeaders: OutgoingHttpHeaders = {};
    for (const name in answer.headers) {
      const value = answer.headers[name];
      if (value !== undefined && !isHopByHopResponseHeader(name, named)) responseHeaders[name] = value;
    }

    if (outgoing && !outgoing.headersSent) {
      outgoing.writeHead(answer.statusCode, responseHeaders);
      pipeBody(answer.body, outgoing);
      return RESPONSE_ALREADY_SENT;
    }

    const fetchHeaders = new Headers();
    for (const [name, value] of Object.entries(responseHeaders)) {
      for (const one of Array.isArray(value) ? value : [String(value)]) fetchHeaders.append(name, one);
    }
    if (NULL_BODY_STATUSES.has(answer.statusCode) || method === "HEAD") {
      answer.body.resume();
      return new Response(null, { status: answer.statusCode, headers: fetchHeaders });
    }
    return new Response(Readable.toWeb(answer.body) as ReadableStream, { status: answer.statusCode, headers: fetchHeaders });
  };

  return { forward, close: () => pool.close() };
}
