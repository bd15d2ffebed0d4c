/** Serves a fetch handler (Hono app, shim, upstream) on Node: the one listener of every process and test. */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createAdaptorServer } from "@hono/node-server";

export interface HttpListener {
  host: string;
  port: number;
  /** `http://host:port`, with brackets around an IPv6 host. */
  url: string;
  server: Server;
  /** Stops accepting and drops every open connection: nothing in flight holds it up (tests, dev tools). */
  close(): Promise<void>;
  /** Stops accepting and lets requests in flight finish; idle keep-alive connections close (shutdown). */
  drain(): Promise<void>;
}

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /**
   * The largest request body the handler takes for a request (null: no limit here). A client that sends `Expect: 100-continue` with a
   * larger Content-Length gets no `100 Continue`: the handler answers at once (its 413), so the
   * client reads that answer and never sends the body. Without it every such request is told to go on.
   */
  maxBodyBytes?: (request: { method: string; path: string }) => number | null;
}

/**
 * Listens on host:port; rejects on EADDRINUSE and the like.
 *
 * @example
 * const api = await listen(app.fetch, { port: 4000 });
 * process.on("SIGTERM", () => void api.drain());
 */
export async function listen(fetch: (request: Request) => Response | Promise<Response>, options: ListenOptions = {}): Promise<HttpListener> {
  const { host = "127.0.0.1", port = 0 } = options;
  // Without createServer options the adaptor builds a plain node:http server.
  const server = createAdaptorServer({ fetch }) as Server;
  const { maxBodyBytes } = options;
  if (maxBodyBytes !== undefined) {
    server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
      const max = maxBodyBytes({ method: req.method ?? "", path: (req.url ?? "").split("?")[0] ?? "" });
      if (max === null || !(Number(req.headers["content-length"]) > max)) res.writeContinue();
      server.emit("request", req, res);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("listen: expected a TCP address");
  const stopped = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    host,
    port: address.port,
    url: `http://${formatUrlHost(host)}:${address.port}`,
    server,
    close() {
      server.close();
      // Clients such as fetch keep connections open; they would hold close() up for seconds.
      server.closeAllConnections();
      return stopped;
    },
    drain() {
      server.close();
      server.closeIdleConnections();
      return stopped;
    },
  };
}

/** `host` as it goes in a URL: IPv6 literals need brackets. */
export function formatUrlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
