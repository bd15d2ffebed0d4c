/**
 * The console process. Built (`npm run build`, then `npm start`: dist/server/main.js) it serves the
 * built SPA from dist/web. From source (`npm run dev`: tsx) Vite's dev middleware serves the SPA with
 * hot reload on the same port, so the cookie, the API routes and the pages share one origin.
 * NODE_ENV=production decides the cookie's security and the required settings, not what is served.
 */
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@sesame/service-kit";
import { listen } from "@sesame/service-kit/node";
import { createConsoleApp } from "./app.ts";
import { readConsoleEnv } from "../env.ts";

/** Vite replaces `import.meta.env.PROD` with true in the server bundle; under tsx there is no `import.meta.env`. */
const RUNS_FROM_BUILD = import.meta.env?.PROD === true;

async function main() {
  const config = readConsoleEnv();
  let server: Server;
  let closeDev: (() => Promise<void>) | null = null;
  const announce = () => {
    console.log(`Sesame console on http://${config.host}:${config.port} (API ${config.apiUrl}); sign in with a tenant API key or the root key`);
  };
  if (RUNS_FROM_BUILD) {
    const staticRoot = fileURLToPath(new URL("../web", import.meta.url));
    const { app } = createConsoleApp(config, { staticRoot });
    ({ server } = await listen(app.fetch, { host: config.host, port: config.port }));
    announce();
  } else {
    const { app } = createConsoleApp(config, { staticRoot: null });
    const { startDevServer } = await import("./dev-server.ts");
    const dev = await startDevServer(config, app.fetch);
    server = dev.server;
    closeDev = dev.close;
    server.once("listening", announce);
  }

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
  console.error(error instanceof ConfigError ? error.message : `Sesame console failed to start: ${String(error)}`);
  process.exit(1);
});
