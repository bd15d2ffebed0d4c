/**
 * Starts a Node HTTP server for a fetch handler and stops it without waiting on idle keep-alives.
 */
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";

export interface HttpListener {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free port); rejects on EADDRINUSE and the like. */
export async function listenHttp(fetch: (request: Request) => Response | Promise<Response>, host: string, port: number): Promise<HttpListener> {
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
  if (address === null || typeof address !== "object") throw new Error("listenHttp: expected a TCP address");
  return {
    host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients such as fetch keep connections open; they would hold close() up for seconds.
        server.closeAllConnections();
      }),
  };
}

/** `host` as it goes in a URL: IPv6 literals need brackets. */
export function formatUrlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
