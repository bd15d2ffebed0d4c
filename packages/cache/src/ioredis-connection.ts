/**
 * One fail-fast TCP connection (ioredis) shared by the session store and the limiter: a single
 * Redis, or a Redis Cluster (one connection per master, routed by key slot). Node only.
 *
 * Commands are not queued while disconnected: a request must fall back at once, not wait for a
 * reconnect. Only the first connection is waited for (bounded by `timeoutMs`).
 */
import { Cluster, Redis } from "ioredis";
import { withDeadline } from "./deadline.ts";
import { CacheUnavailableError, toCacheUnavailable } from "./errors.ts";

export interface IoredisConnection {
  /** A `Redis` or a `Cluster`: both take the same commands (every command Sesame sends names one key). */
  redis: Redis | Cluster;
  /** Runs `command` once connected; every failure becomes `CacheUnavailableError`. */
  run<T>(operation: string, command: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function openIoredisConnection({ url, timeoutMs }: { url: string; timeoutMs: number }): IoredisConnection {
  if (!(timeoutMs > 0)) throw new TypeError("createCache: timeoutMs must be positive");
  return failFast(new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    enableOfflineQueue: false,
    // Commands issued in the same tick go out in one write: at 50 concurrent requests this
    // halves the per-request syscall and parse cost on both sides.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  }), timeoutMs);
}

/**
 * A Redis Cluster from seed nodes (`redis[s]://[user:pass@]host:port`). Each command goes to the
 * master that owns its key's slot; `MOVED`/`ASK` redirections and slot-map refreshes are ioredis's.
 * The per-node connections have the same budget as the single connection: `commandTimeout`, one
 * retry, and a command for a master that is down fails within `timeoutMs` instead of queueing.
 */
export function openIoredisClusterConnection({ nodes, timeoutMs }: { nodes: string[]; timeoutMs: number }): IoredisConnection {
  if (!(timeoutMs > 0)) throw new TypeError("createCache: timeoutMs must be positive");
  if (nodes.length === 0) throw new TypeError("createCache: a cluster needs at least one node");
  const seeds = nodes.map((node) => new URL(node));
  const first = seeds[0]!;
  const cluster = new Cluster(
    seeds.map((url) => ({ host: url.hostname, port: Number(url.port) })),
    {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      slotsRefreshTimeout: Math.max(timeoutMs, 1_000),
      // Redirections during a resharding or failover are retried within the command's budget.
      retryDelayOnFailover: 50,
      retryDelayOnClusterDown: 50,
      retryDelayOnTryAgain: 50,
      redisOptions: {
        commandTimeout: timeoutMs,
        connectTimeout: Math.max(timeoutMs, 1_000),
        maxRetriesPerRequest: 1,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === "rediss:" ? { tls: {} } : {}),
      },
    },
  );
  return failFast(cluster, timeoutMs);
}

function failFast(redis: Redis | Cluster, timeoutMs: number): IoredisConnection {
  // ioredis reports connection errors as events; unobserved, it prints them on every reconnect.
  redis.on("error", () => {});
  let connectedOnce = false;
  redis.on("ready", () => {
    connectedOnce = true;
  });

  /** Waits for the first connection (bounded); once connected, a lost connection fails at once. */
  async function ready(): Promise<void> {
    if (redis.status === "ready") return;
    if (redis.status === "end") throw new CacheUnavailableError("Cache connection is closed");
    if (connectedOnce) throw new CacheUnavailableError(`Cache connection lost (${redis.status})`);
    // One wait shared by every caller: a burst of requests at startup adds two listeners, not hundreds.
    firstConnection ??= waitForReady().finally(() => {
      firstConnection = undefined;
    });
    return firstConnection;
  }
  let firstConnection: Promise<void> | undefined;

  function waitForReady(): Promise<void> {
    let onReady = () => {};
    let onError = (_error: unknown) => {};
    const connected = new Promise<void>((resolve, reject) => {
      onReady = () => resolve();
      onError = (error) => reject(toCacheUnavailable("connect", error));
      redis.once("ready", onReady);
      redis.once("error", onError);
    });
    return withDeadline(connected, timeoutMs, () => new CacheUnavailableError(`Cache not connected after ${timeoutMs} ms`)).finally(() => {
      redis.off("ready", onReady);
      redis.off("error", onError);
    });
  }

  return {
    redis,
    async run(operation, command) {
      try {
        // Connected (every request but the first few): no wait to build and await.
        if (redis.status !== "ready") await ready();
        return await command();
      } catch (error) {
        throw toCacheUnavailable(operation, error);
      }
    },
    async close() {
      if (redis.status !== "end") await redis.quit().catch(() => redis.disconnect());
    },
  };
}
