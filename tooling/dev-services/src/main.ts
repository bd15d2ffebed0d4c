/**
 * `npm run dev` for the local services, run by `turbo dev` beside the API and the edge: embedded
 * Postgres unless DATABASE_URL is set, the Upstash-compatible cache endpoint unless
 * UPSTASH_REDIS_REST_URL is set. Secrets are never printed.
 */
import { join } from "node:path";
import { DEV_PORTS } from "./dev-ports.ts";
import { findRepoRoot, loadDevSecrets } from "./dev-secrets.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { redactUrl } from "@sesame/service-kit";
import { startUpstashShim } from "./start-upstash-shim.ts";

const HOST = "127.0.0.1";
const log = (line: string) => console.log(`[dev-services] ${line}`);
const closers: (() => Promise<void>)[] = [];

async function startServices(): Promise<void> {
  const root = findRepoRoot();
  const secrets = loadDevSecrets(root);

  if (process.env.DATABASE_URL) {
    log(`postgres: not started, DATABASE_URL is set (${redactUrl(process.env.DATABASE_URL)})`);
  } else {
    const dataDir = join(root, ".data", "pglite");
    const pg = await startEmbeddedPostgres({ dataDir, host: HOST, port: DEV_PORTS.postgres, password: secrets.postgresPassword }).catch(
      explainPortInUse(DEV_PORTS.postgres),
    );
    closers.push(pg.close);
    log(`postgres: embedded PGlite at ${redactUrl(pg.url)} (data in ${dataDir}; one connection at a time; user postgres, password: postgresPassword in .data/dev-secrets.json)`);
  }

  if (process.env.UPSTASH_REDIS_REST_URL) {
    log(`cache: not started, UPSTASH_REDIS_REST_URL is set (${process.env.UPSTASH_REDIS_REST_URL})`);
  } else {
    const redisUrl = process.env.REDIS_URL || undefined;
    const shim = await startUpstashShim({ host: HOST, port: DEV_PORTS.cache, token: secrets.cacheToken, redisUrl }).catch(explainPortInUse(DEV_PORTS.cache));
    closers.push(shim.close);
    log(`cache: Upstash-compatible REST endpoint at ${shim.url}, ${redisUrl ? `in front of ${redactUrl(redisUrl)}` : "in memory"} (token in .data/dev-secrets.json)`);
  }
}

function explainPortInUse(port: number) {
  return (error: NodeJS.ErrnoException): never => {
    if (error.code === "EADDRINUSE") throw new Error(`port ${port} is already in use: is another "npm run dev" running?`, { cause: error });
    throw error;
  };
}

let stopping = false;
async function stop(exitCode: number): Promise<void> {
  if (stopping) process.exit(1); // a second Ctrl-C: don't wait any longer
  stopping = true;
  const results = await Promise.allSettled(closers.reverse().map((close) => close()));
  for (const r of results) if (r.status === "rejected") console.error(`[dev-services] while stopping: ${String(r.reason)}`);
  process.exit(exitCode);
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

startServices().catch((error: unknown) => {
  console.error(`[dev-services] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  void stop(1);
});
