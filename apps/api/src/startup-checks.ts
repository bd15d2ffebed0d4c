/**
 * What the API checks before it listens, each failure said in one line with the fix: Postgres
 * reachable (the migrations are the first thing to touch it) and the cache answering a ping. The
 * API refuses to start without them instead of answering 503 to everyone.
 */
import type { CacheConfig, SessionCacheStore } from "@sesame/cache";
import { redactUrl } from "@sesame/service-kit";
import { StartupError } from "@sesame/service-kit/node";
import type { ApiConfig } from "./config.ts";

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "CONNECT_TIMEOUT"]);

/** The one line for a database that cannot be used, or null when `error` is something else. */
export function explainDatabaseFailure(error: unknown, database: ApiConfig["database"]): StartupError | null {
  // drizzle wraps the driver's error (`DrizzleQueryError`, the failed statement) around it as `cause`.
  let failure = error as { code?: string; message?: string; cause?: unknown } | null;
  while (failure && !failure.code && failure.cause) failure = failure.cause as typeof failure;
  const { code, message } = failure ?? {};
  const where = database.embedded ? `embedded Postgres at ${redactUrl(database.url)}` : `Postgres at ${redactUrl(database.url)} (DATABASE_URL)`;
  const fixAddress = database.embedded ? `is "npm run dev" (its dev-services) running? Or set DATABASE_URL` : "start Postgres or fix the host and port in DATABASE_URL";
  if (code && UNREACHABLE.has(code)) return new StartupError(`cannot reach ${where}: ${code}; ${fixAddress}`);
  // SQLSTATEs of a server that answered but will not let us in.
  if (code === "28P01" || code === "28000") return new StartupError(`${where} refused the login (${message}); fix the user or password in DATABASE_URL`);
  if (code === "3D000") return new StartupError(`${where}: ${message}; create the database or fix its name in DATABASE_URL`);
  return null;
}

/** Pings the cache once; an unreachable cache is a StartupError naming it and the variable to fix. */
export async function checkCacheReachable(store: SessionCacheStore, cache: CacheConfig, devCacheUrl: string | undefined): Promise<void> {
  try {
    await store.ping();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const fix =
      cache.kind === "tcp"
        ? `Redis at ${redactUrl(cache.url)} (REDIS_URL): start Redis or fix REDIS_URL`
        : cache.kind === "cluster"
          ? `the Redis Cluster at ${cache.nodes.map(redactUrl).join(", ")} (REDIS_CLUSTER_NODES): start its nodes or fix REDIS_CLUSTER_NODES`
          : cache.url === devCacheUrl
          ? `the local cache endpoint ${cache.url}: is "npm run dev" (its dev-services) running?`
          : `Upstash at ${cache.url}: check UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN`;
    throw new StartupError(`cannot reach the cache, ${fix} (${detail})`);
  }
}
