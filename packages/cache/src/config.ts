/**
 * Which cache a process talks to. One shape for the API and the edge: both parse it from the
 * environment with `cacheConfigFromEnv`, and `createCache` (Node) or `createUpstashCache` (anywhere)
 * turn it into the store and the limiter.
 */
export type CacheConfig = UpstashCacheConfig | TcpCacheConfig | ClusterCacheConfig;

/** Upstash's REST protocol over `fetch`: runs on Node and on edge runtimes. */
export interface UpstashCacheConfig {
  kind: "upstash";
  /** `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  /** Key namespace (`SESAME_CACHE_PREFIX`). */
  prefix: string;
  /** Budget for one call, retries included (`SESAME_CACHE_TIMEOUT_MS`). */
  timeoutMs: number;
}

/** Redis over TCP (ioredis): Node only. */
export interface TcpCacheConfig {
  kind: "tcp";
  /** `REDIS_URL`. */
  url: string;
  prefix: string;
  timeoutMs: number;
}

/**
 * Redis Cluster over TCP (ioredis `Cluster`): Node only. Every key Sesame writes is alone in its
 * command (one key per script, per MULTI), so any slot layout works; see README "Scaling out".
 */
export interface ClusterCacheConfig {
  kind: "cluster";
  /**
   * Seed nodes (`REDIS_CLUSTER_NODES`, comma-separated): `host:port`, or `redis://[user:pass@]host:port`
   * / `rediss://…` for authentication and TLS; the client learns the rest of the cluster from them.
   */
  nodes: string[];
  prefix: string;
  timeoutMs: number;
}

/** Key namespace used when none is configured. */
export const DEFAULT_CACHE_PREFIX = "sesame:";
/** Per-call budget on a request path: a slow cache must not hold a request longer than this. */
export const DEFAULT_CACHE_TIMEOUT_MS = 500;
