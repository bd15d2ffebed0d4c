/**
 * The cache's environment variables, read the same way by the API and the edge:
 * `UPSTASH_REDIS_REST_URL` + `UPSTASH_REDIS_REST_TOKEN` (Upstash REST), `REDIS_URL` (TCP),
 * `SESAME_CACHE_PREFIX`, `SESAME_CACHE_TIMEOUT_MS`.
 */
import { httpUrlSchema, type EnvRules } from "@sesame/service-kit";
import { z } from "zod";
import { DEFAULT_CACHE_PREFIX, DEFAULT_CACHE_TIMEOUT_MS, type CacheConfig } from "./config.ts";

/** Spread into an app's environment schema. */
export const cacheEnvShape = {
  UPSTASH_REDIS_REST_URL: httpUrlSchema.optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
  SESAME_CACHE_PREFIX: z.string().default(DEFAULT_CACHE_PREFIX),
  SESAME_CACHE_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(DEFAULT_CACHE_TIMEOUT_MS),
};

export type CacheEnv = z.output<z.ZodObject<typeof cacheEnvShape>>;

/** The cache the variables name: Upstash when its URL is set, else TCP Redis when `REDIS_URL` is; none otherwise. */
export function cacheKindFromEnv(input: { UPSTASH_REDIS_REST_URL?: string; REDIS_URL?: string }): CacheConfig["kind"] | undefined {
  return input.UPSTASH_REDIS_REST_URL ? "upstash" : input.REDIS_URL ? "tcp" : undefined;
}

/** Presence rule for `parseEnv`: the variables a cache of `kind` needs. */
export function requireCacheEnv(rules: EnvRules, kind: CacheConfig["kind"]): void {
  if (kind === "upstash") {
    rules.require("UPSTASH_REDIS_REST_URL", "for the Upstash cache");
    rules.require("UPSTASH_REDIS_REST_TOKEN", "for the Upstash cache");
  } else {
    rules.require("REDIS_URL", "for the TCP cache");
  }
}

/** The parsed variables as a `CacheConfig` of `kind`; call after `requireCacheEnv` passed. */
export function cacheConfigFromEnv(env: CacheEnv, kind: CacheConfig["kind"]): CacheConfig {
  const { SESAME_CACHE_PREFIX: prefix, SESAME_CACHE_TIMEOUT_MS: timeoutMs } = env;
  return kind === "upstash"
    ? { kind, url: env.UPSTASH_REDIS_REST_URL!, token: env.UPSTASH_REDIS_REST_TOKEN!, prefix, timeoutMs }
    : { kind, url: env.REDIS_URL!, prefix, timeoutMs };
}
