/** The API process: config, migrations, HTTP server, cache outbox and webhook workers, graceful shutdown. */
import { getConnInfo } from "@hono/node-server/conninfo";
import { listen, runMain } from "@sesame/service-kit/node";
import { createApiApp, maxBodyBytesFor } from "./app.ts";
import { loadDevDefaults, resolveApiConfig } from "./config.ts";
import { createDeps } from "./create-deps.ts";
import { runMigrations } from "./db/migrate.ts";
import { readApiEnv } from "./env.ts";
import { startCpuProfile } from "./lib/cpu-profile.ts";
import { createLogger } from "./lib/logger.ts";
import { startCacheOutboxWorker } from "./services/revocation/outbox-worker.ts";
import { WORKER_POOL_MAX, startWebhookWorker } from "./services/webhooks/worker.ts";
import { createDb } from "./db/client.ts";
import { checkCacheReachable, explainDatabaseFailure } from "./startup-checks.ts";

async function main() {
  const env = readApiEnv();
  const dev = await loadDevDefaults(env);
  const config = resolveApiConfig(env, dev);
  await dev?.waitForServices(config);
  const profiler = config.cpuProfileDir ? await startCpuProfile(config.cpuProfileDir) : null;
  const migrationLog = createLogger(config.logLevel);
  await runMigrations(config.database.url, {
    onUsernameCollision: (userId) => migrationLog.warn({ userId }, "username collides with an older user's under the new normal form; it signs in by email until renamed"),
  }).catch((error: unknown) => {
    throw explainDatabaseFailure(error, config.database) ?? error;
  });
  const deps = await createDeps(config);
  await checkCacheReachable(deps.cache, config.cache, dev?.cacheUrl);
  const app = createApiApp(deps, { remoteAddress: (c) => getConnInfo(c).remote.address ?? null });
  const worker = startCacheOutboxWorker(deps);
  // Deliveries get a pool of their own, so a burst of requests does not queue them (embedded
  // Postgres serves one connection: there they share it).
  const webhookPool = config.database.embedded ? null : createDb({ url: config.database.url, max: WORKER_POOL_MAX });
  const webhookWorker = startWebhookWorker(deps, webhookPool ? { db: webhookPool.db } : {});
  const server = await listen(app.fetch, { host: config.host, port: config.port, maxBodyBytes: (request) => maxBodyBytesFor(config, request) });
  deps.logger.info({ database: config.database.embedded ? "embedded" : "external", cache: config.cache.kind, issuer: config.issuer }, `Sesame API listening on ${server.url}`);
  if (config.mail.kind === "log") deps.logger.info("no SMTP configured: password reset and verification mails are printed to this log (development catcher)");
  if (config.mail.kind === "none") deps.logger.warn("no SMTP configured (SMTP_URL or SMTP_HOST with SMTP_FROM): password reset and email verification are unavailable");
  if (config.rootKeySource === "dev") {
    // Contract §2: in development the generated root key is printed so a newcomer can call tenants.create.
    // It goes to stdout directly, never through the logger.
    console.log(`\n  Sesame dev root key (kept in .data/dev-secrets.json): ${config.rootKey}\n`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await server.drain();
    await worker.stop();
    await webhookWorker.stop();
    await webhookPool?.close();
    await deps.close();
    if (profiler) deps.logger.info({ path: await profiler.stop() }, "CPU profile written");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

runMain(main, { service: "Sesame API", portVariable: "API_PORT" });
