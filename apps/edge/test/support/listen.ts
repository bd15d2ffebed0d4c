/** A fetch handler on a free 127.0.0.1 port, closable without waiting on keep-alive connections. */
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listen(fetch: (request: Request) => Response | Promise<Response>, port = 0): Promise<Listening> {
  const server = createAdaptorServer({ fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const { port, close } = await listen(() => new Response());
  await close();
  return port;
}
