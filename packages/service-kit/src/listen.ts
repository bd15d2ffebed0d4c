/** Serves a fetch handler (Hono app, shim, upstream) on Node: the one listener of every process and test. */
import type { Server } from "node:http";
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
