/**
 * The edge's configuration, parsed once from an environment record (`process.env` on Node, the
 * `env` bindings on Workers) with the rules every Sesame service shares (`@sesame/service-kit`:
 * every problem listed at once, empty means unset). In production every address must be given.
 */
// zod/mini: this runs in the Workers bundle, where classic zod alone would be 450 KiB.
import * as z from "zod/mini";
import { cacheConfigFromEnv, cacheEnvShape, cacheKindFromEnv, requireCacheEnv, tcpCacheKindFromEnv, type CacheConfig } from "@sesame/cache";
import { httpUrlSchema, nodeEnvSchema, optionalPortSchema, parseEnv, secretSchema, type EnvRules } from "@sesame/service-kit";
import { MFA_FACTORS, type MfaFactor } from "@sesame/core";
import { edgeOptionsForApi } from "./api-options.ts";
import { compilePathPattern, compileRouteGroupRule } from "./paths.ts";

export interface EdgeEnv {
  production: boolean;
  port: number;
  host: string;
  apiUrl: string;
  jwksUrl: string;
  introspectionUrl: string;
  issuer: string;
  audience: string;
  introspectionSecret: string;
  /** The same shape, variables and defaults as the API's; `tcp` and `cluster` only on Node. */
  cache: CacheConfig;
  /** Absent only outside production, where the Node entry starts an echo upstream. */
  upstreamUrl: string | undefined;
  publicPaths: string[];
  routeGroups: Record<string, string[]>;
  /** `SESAME_METRICS_TOKEN`: the bearer token `GET /_sesame/metrics` requires (Node only); null turns it off. */
  metricsToken: string | null;
  routeFactors: Record<string, MfaFactor[]>;
  logLevel: string;
}

const DEFAULT_API_URL = "http://127.0.0.1:4000";
export const DEFAULT_EDGE_PORT = 8787;

const schema = z.object({
  NODE_ENV: nodeEnvSchema,
  /** Contract §7: `EDGE_PORT` wins; `PORT` is accepted when the edge runs alone. */
  EDGE_PORT: optionalPortSchema,
  PORT: optionalPortSchema,
  /** Outside production, the default API address follows the API's port (`npm start`/`npm run dev` from one environment). */
  API_PORT: optionalPortSchema,
  HOST: z._default(z.string(), "127.0.0.1"),
  SESAME_API_URL: z.optional(httpUrlSchema),
  SESAME_JWKS_URL: z.optional(httpUrlSchema),
  SESAME_ISSUER: z.optional(z.string()),
  SESAME_AUDIENCE: z._default(z.string(), "sesame"),
  SESAME_INTROSPECTION_SECRET: z.optional(secretSchema),
  ...cacheEnvShape,
  /** Forces a cache kind; by default the one the cache variables name, and Upstash without any. */
  SESAME_EDGE_STORE: z.optional(z.enum(["upstash", "tcp"])),
  UPSTREAM_URL: z.optional(httpUrlSchema),
  SESAME_PUBLIC_PATHS: z.optional(z.string()),
  SESAME_ROUTE_GROUPS: z.optional(z.string()),
  SESAME_METRICS_TOKEN: z.optional(secretSchema),
  SESAME_ROUTE_FACTORS: z.optional(z.string()),
  /** The Node edge's log level (pino); the request log is at `info`. */
  LOG_LEVEL: z._default(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), "info"),
});

const routeGroupsSchema = z.record(z.string(), z.array(z.string().check(z.minLength(1))).check(z.minLength(1)));
const routeFactorsSchema = z.record(z.string(), z.array(z.enum(MFA_FACTORS)).check(z.minLength(1)));

/** Reads the Node process environment. The one place outside tests that touches `process.env`. */
export function readProcessEnv(): Record<string, string | undefined> {
  return process.env;
}

/**
 * @example
 * const env = parseEdgeEnv(readProcessEnv()); // throws ConfigError listing every problem
 */
export function parseEdgeEnv(raw: Record<string, string | undefined>): EdgeEnv {
  let cacheKind: CacheConfig["kind"] = "upstash";
  let publicPaths: string[] = [];
  let routeGroups: Record<string, string[]> = {};
  let routeFactors: Record<string, MfaFactor[]> = {};
  const env = parseEnv(
    schema,
    raw,
    (rules) => {
      const { input } = rules;
      if (input.NODE_ENV === "production") {
        rules.require("SESAME_API_URL", "in production");
        rules.require("UPSTREAM_URL", "in production");
      }
      rules.require("SESAME_INTROSPECTION_SECRET", "(the edge's credential for the API's introspection endpoint)");
      const forced = input.SESAME_EDGE_STORE;
      // `tcp` is the TCP store: a Redis Cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL.
      cacheKind = forced === "upstash" ? forced : forced === "tcp" ? (tcpCacheKindFromEnv(input) ?? "tcp") : (cacheKindFromEnv(input) ?? "upstash");
      requireCacheEnv(rules, cacheKind);
      publicPaths = splitList(input.SESAME_PUBLIC_PATHS);
      for (const pattern of publicPaths) checkPattern(rules, "SESAME_PUBLIC_PATHS", pattern);
      routeGroups = parseRouteRules(rules, "SESAME_ROUTE_GROUPS", input.SESAME_ROUTE_GROUPS, routeGroupsSchema, `{"/admin/*":["admin"],"DELETE /orders/*":["sales-lead"]}`, "group names");
      routeFactors = parseRouteRules(rules, "SESAME_ROUTE_FACTORS", input.SESAME_ROUTE_FACTORS, routeFactorsSchema, `{"/payouts/*":["totp"]}`, `factors (${MFA_FACTORS.join(", ")})`);
    },
    "edge configuration",
  );

  const apiUrl = (env.SESAME_API_URL ?? (env.API_PORT === undefined ? DEFAULT_API_URL : `http://127.0.0.1:${env.API_PORT}`)).replace(/\/+$/, "");
  const api = edgeOptionsForApi({
    apiUrl,
    secret: env.SESAME_INTROSPECTION_SECRET!,
    issuer: env.SESAME_ISSUER,
    audience: env.SESAME_AUDIENCE,
    jwksUrl: env.SESAME_JWKS_URL,
  });
  return {
    production: env.NODE_ENV === "production",
    port: env.EDGE_PORT ?? env.PORT ?? DEFAULT_EDGE_PORT,
    host: env.HOST,
    apiUrl,
    jwksUrl: api.jwksUrl,
    introspectionUrl: api.introspection.url,
    issuer: api.issuer,
    audience: api.audience,
    introspectionSecret: api.introspection.secret,
    cache: cacheConfigFromEnv(env, cacheKind),
    upstreamUrl: env.UPSTREAM_URL,
    publicPaths,
    routeGroups,
    metricsToken: env.SESAME_METRICS_TOKEN ?? null,
    routeFactors,
    logLevel: env.LOG_LEVEL,
  };
}

function splitList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

function checkPattern(rules: EnvRules, name: string, pattern: string, compile: (pattern: string) => unknown = compilePathPattern): void {
  try {
    compile(pattern);
  } catch (error) {
    rules.problem(`${name}: ${(error as Error).message}`);
  }
}

function parseRouteRules<T>(rules: EnvRules, name: string, value: string | undefined, schema: z.ZodMiniType<Record<string, T[]>>, example: string, what: string): Record<string, T[]> {
  if (value === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    rules.problem(`${name}: must be JSON, e.g. ${example}`);
    return {};
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    rules.problem(`${name}: must map path patterns (optionally after one method) to non-empty arrays of ${what}, e.g. ${example}`);
    return {};
  }
  for (const pattern of Object.keys(parsed.data)) checkPattern(rules, name, pattern, (source) => compileRouteGroupRule(source, []));
  return parsed.data;
}
