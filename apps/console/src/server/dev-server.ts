/**
 * Development only: one Node server on the console's port where the console's own routes go to
 * Hono and everything else to Vite's dev middleware (modules, hot reload over the same socket).
 */
import { getRequestListener } from "@hono/node-server";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import type { ConsoleConfig } from "../env.ts";

const CONSOLE_ROUTES = /^\/(console\/|healthz$|readyz$)/;

export async function startDevServer(config: ConsoleConfig, fetchHandler: (req: Request) => Response | Promise<Response>) {
  const { createServer: createViteServer } = await import("vite");
  const appRoot = fileURLToPath(new URL("../..", import.meta.url));
  const server: Server = createServer();
  const vite = await createViteServer({
    root: appRoot,
    configFile: `${appRoot}/vite.config.ts`,
    appType: "spa",
    server: { middlewareMode: true, hmr: { server } },
  });
  const hono = getRequestListener(fetchHandler);
  server.on("request", (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (CONSOLE_ROUTES.test(path)) void hono(req, res);
    else vite.middlewares(req, res);
  });
  server.listen(config.port, config.host);
  return { server, close: () => vite.close() };
}
