/**
 * The console process. Production (NODE_ENV=production, after `npm run build`): serves the built
 * SPA from dist/web. Development (`npm run dev`): Vite's dev middleware serves the SPA with hot
 * reload on the same port, so the cookie, the API routes and the pages share one origin.
 */
import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { createConsoleApp } from "./app.ts";
import { ConsoleConfigError, readConsoleEnv } from "../env.ts";

async function main() {
  const config = readConsoleEnv();
  let server: Server;
  let closeDev: (() => Promise<void>) | null = null;
  if (config.production) {
    const staticRoot = fileURLToPath(new URL("../web", import.meta.url));
    const { app } = createConsoleApp(config, { staticRoot });
    server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }) as Server;
  } else {
    const { app } = createConsoleApp(config, { staticRoot: null });
    const { startDevServer } = await import("./dev-server.ts");
    const dev = await startDevServer(config, app.fetch);
    server = dev.server;
    closeDev = dev.close;
  }
  server.once("listening", () => {
    console.log(`Sesame console on http://${config.host}:${config.port} (API ${config.apiUrl}); sign in with a tenant API key or the root key`);
  });

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeDev?.();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
}

main().catch((error) => {
  console.error(error instanceof ConsoleConfigError ? error.message : `Sesame console failed to start: ${String(error)}`);
  process.exit(1);
});
