/**
 * The cache's environment variables, read the same way by the API and the edge:
 * `UPSTASH_REDIS_REST_URL` + `UPSTASH_REDIS_REST_TOKEN` (Upstash REST), `REDIS_URL` (TCP),
 * `REDIS_CLUSTER_NODES` (Redis Cluster over TCP),
 * `SESAME_CACHE_PREFIX`, `SESAME_CACHE_TIMEOUT_MS`.
 */
import { httpUrlSchema, type EnvRules } from "@sesame/service-kit";
// zod/mini: the Workers entry parses these (see @sesame/service-kit's env.ts).
import * as z from "zod/mini";
import { DEFAULT_CACHE_PREFIX, DEFAULT_CACHE_TIMEOUT_MS, type CacheConfig } from "./config.ts";

/**
 * `REDIS_CLUSTER_NODES`: comma-separated seed nodes, each `host:port` or `redis[s]://[user:pass@]host:port`.
 * Normalised to `redis[s]://…` URLs. Credentials and TLS, when given, must be the same on every entry.
 */
export const clusterNodesSchema = z.pipe(z.string(), z.transform((value: string, ctx) => {
  const problem = (message: string): never => {
    ctx.issues.push({ code: "custom", message, input: value });
    return z.NEVER;
  };
  const entries = value.split(",").map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return problem("must list at least one node, e.g. 10.0.0.1:6379,10.0.0.2:6379");
  const urls: URL[] = [];
  for (const entry of entries) {
    let url: URL | null = null;
    try {
      url = new URL(/^[a-z]+:\/\//i.test(entry) ? entry : `redis://${entry}`);
    } catch {
      url = null;
    }
    if (!url || !/^rediss?:$/.test(url.protocol) || !url.hostname || !url.port || (url.pathname !== "" && url.pathname !== "/")) {
      return problem(`"${entry.replace(/\/\/[^@/]*@/, "//…@")}" is not host:port or redis[s]://host:port`);
    }
    urls.push(url);
  }
  const access = (url: URL) => `${url.protocol}${url.username}:${url.password}`;
  const withAccess = urls.find((url) => url.username || url.password || url.protocol === "rediss:");
  if (withAccess && urls.some((url) => access(url) !== access(withAccess) && (url.username || url.password || url.protocol === "rediss:"))) {
    return problem("every node must use the same scheme and credentials");
  }
  return urls.map((url) => {
    if (withAccess) {
      url.protocol = withAccess.protocol;
      url.username = withAccess.username;
      url.password = withAccess.password;
    }
    return url.toString().replace(/\/$/, "");
  });
}));

/** Spread into an app's environment schema. */
export const cacheEnvShape = {
  UPSTASH_REDIS_REST_URL: z.optional(httpUrlSchema),
  UPSTASH_REDIS_REST_TOKEN: z.optional(z.string()),
  REDIS_URL: z.optional(z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" })),
  REDIS_CLUSTER_NODES: z.optional(clusterNodesSchema),
  SESAME_CACHE_PREFIX: z._default(z.string(), DEFAULT_CACHE_PREFIX),
  SESAME_CACHE_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.minimum(10), z.maximum(10_000)), DEFAULT_CACHE_TIMEOUT_MS),
};

export type CacheEnv = z.output<z.ZodMiniObject<typeof cacheEnvShape>>;

interface CacheKindInput {
  UPSTASH_REDIS_REST_URL?: unknown;
  REDIS_URL?: unknown;
  REDIS_CLUSTER_NODES?: unknown;
}

/**
 * The cache the variables name: Upstash when its URL is set, else Redis Cluster when
 * `REDIS_CLUSTER_NODES` is, else TCP Redis when `REDIS_URL` is; none otherwise.
 */
export function cacheKindFromEnv(input: CacheKindInput): CacheConfig["kind"] | undefined {
  return input.UPSTASH_REDIS_REST_URL ? "upstash" : (tcpCacheKindFromEnv(input) ?? undefined);
}

/** The TCP cache the variables name (Node only): Redis Cluster over a single Redis when both are set. */
export function tcpCacheKindFromEnv(input: CacheKindInput): "cluster" | "tcp" | undefined {
  return input.REDIS_CLUSTER_NODES ? "cluster" : input.REDIS_URL ? "tcp" : undefined;
}

/** Presence rule for `parseEnv`: the variables a cache of `kind` needs. */
export function requireCacheEnv(rules: EnvRules, kind: CacheConfig["kind"]): void {
  if (kind === "upstash") {
    rules.require("UPSTASH_REDIS_REST_URL", "for the Upstash cache");
    rules.require("UPSTASH_REDIS_REST_TOKEN", "for the Upstash cache");
  } else if (kind === "cluster") {
    rules.require("REDIS_CLUSTER_NODES", "for the Redis Cluster cache");
    // Redis hashes only what is inside the first {…} of a key: a tag in the prefix would put every
    // key in one slot, on one master, and the cluster would scale nothing.
    if (/\{[^}]+\}/.test(rules.input.SESAME_CACHE_PREFIX ?? "")) {
      rules.problem("SESAME_CACHE_PREFIX: must not contain a hash tag ({…}) with Redis Cluster: every key would land in one slot, on one master");
    }
  } else {
    rules.require("REDIS_URL", "for the TCP cache");
  }
}

/** The parsed variables as a `CacheConfig` of `kind`; call after `requireCacheEnv` passed. */
export function cacheConfigFromEnv(env: CacheEnv, kind: CacheConfig["kind"]): CacheConfig {
  const { SESAME_CACHE_PREFIX: prefix, SESAME_CACHE_TIMEOUT_MS: timeoutMs } = env;
  if (kind === "upstash") return { kind, url: env.UPSTASH_REDIS_REST_URL!, token: env.UPSTASH_REDIS_REST_TOKEN!, prefix, timeoutMs };
  if (kind === "cluster") return { kind, nodes: env.REDIS_CLUSTER_NODES!, prefix, timeoutMs };
  return { kind, url: env.REDIS_URL!, prefix, timeoutMs };
}
