/**
 * The edge's configuration, parsed once from an environment record: `process.env` on Node, the
 * `env` bindings on Workers. Every problem is listed at once; in production every secret and
 * address must be given explicitly.
 */
import { z } from "zod";
import { BEARER_TOKEN_PATTERN, INTROSPECTION_PATH } from "@sesame/core";
import { compilePathPattern } from "./paths.ts";

export type EdgeStoreConfig =
  | { kind: "upstash"; url: string; token: string }
  | { kind: "tcp"; redisUrl: string };

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
  store: EdgeStoreConfig;
  cachePrefix: string;
  /** Absent only outside production, where the Node entry starts an echo upstream. */
  upstreamUrl: string | undefined;
  publicPaths: string[];
  routeGroups: Record<string, string[]>;
}

export class EdgeEnvError extends Error {
  override readonly name = "EdgeEnvError";
  constructor(readonly problems: string[]) {
    super(`Invalid edge configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

const DEFAULT_API_URL = "http://127.0.0.1:4000";
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const redisUrl = z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" });

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8787),
  HOST: z.string().min(1).default("127.0.0.1"),
  SESAME_API_URL: httpUrl.optional(),
  SESAME_JWKS_URL: httpUrl.optional(),
  SESAME_ISSUER: z.string().min(1).optional(),
  SESAME_AUDIENCE: z.string().min(1).default("sesame"),
  SESAME_INTROSPECTION_SECRET: z
    .string()
    .min(16, "must be at least 16 characters")
    .regex(BEARER_TOKEN_PATTERN, "must use only the characters A-Z a-z 0-9 - . _ ~ + / (then optional trailing =): it is sent as a bearer token")
    .optional(),
  UPSTASH_REDIS_REST_URL: httpUrl.optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  REDIS_URL: redisUrl.optional(),
  SESAME_EDGE_STORE: z.enum(["upstash", "tcp"]).optional(),
  SESAME_CACHE_PREFIX: z.string().min(1).default("sesame:"),
  UPSTREAM_URL: httpUrl.optional(),
  SESAME_PUBLIC_PATHS: z.string().optional(),
  SESAME_ROUTE_GROUPS: z.string().optional(),
});

const routeGroupsSchema = z.record(z.string(), z.array(z.string().min(1)).min(1));

/** Reads the Node process environment. The one place outside tests that touches `process.env`. */
export function readProcessEnv(): Record<string, string | undefined> {
  return process.env;
}

/**
 * @example
 * const env = parseEdgeEnv(readProcessEnv()); // throws EdgeEnvError listing every problem
 */
export function parseEdgeEnv(raw: Record<string, string | undefined>): EdgeEnv {
  // An empty variable means unset: that is how `.env` files and CI templates spell "no value".
  const input: Record<string, string> = Object.fromEntries(
    Object.entries(raw).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""),
  );
  const parsed = schema.safeParse(input);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  // Presence rules run on the raw input too, so one run reports format and missing values together.
  const has = (name: string) => input[name] !== undefined;
  const required = (name: string, why: string) => {
    if (!has(name)) problems.push(`${name} is required ${why}`);
  };

  const production = input.NODE_ENV === "production";
  if (production) {
    required("SESAME_API_URL", "in production");
    required("UPSTREAM_URL", "in production");
  }
  required("SESAME_INTROSPECTION_SECRET", "(the edge's credential for the API's introspection endpoint)");
  const storeKind = input.SESAME_EDGE_STORE ?? (has("REDIS_URL") && !has("UPSTASH_REDIS_REST_URL") ? "tcp" : "upstash");
  if (storeKind === "upstash") {
    required("UPSTASH_REDIS_REST_URL", "with SESAME_EDGE_STORE=upstash");
    required("UPSTASH_REDIS_REST_TOKEN", "with SESAME_EDGE_STORE=upstash");
  } else if (storeKind === "tcp") {
    required("REDIS_URL", "with SESAME_EDGE_STORE=tcp");
  }
  const publicPaths = splitList(input.SESAME_PUBLIC_PATHS);
  for (const pattern of publicPaths) checkPattern("SESAME_PUBLIC_PATHS", pattern, problems);
  const routeGroups = parseRouteGroups(input.SESAME_ROUTE_GROUPS, problems);

  if (!parsed.success || problems.length > 0) throw new EdgeEnvError(problems);
  const env = parsed.data;
  const store: EdgeStoreConfig =
    storeKind === "tcp"
      ? { kind: "tcp", redisUrl: env.REDIS_URL! }
      : { kind: "upstash", url: env.UPSTASH_REDIS_REST_URL!, token: env.UPSTASH_REDIS_REST_TOKEN! };

  const apiUrl = (env.SESAME_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, "");
  return {
    production: env.NODE_ENV === "production",
    port: env.PORT,
    host: env.HOST,
    apiUrl,
    jwksUrl: env.SESAME_JWKS_URL ?? `${apiUrl}/.well-known/jwks.json`,
    introspectionUrl: `${apiUrl}${INTROSPECTION_PATH}`,
    issuer: env.SESAME_ISSUER ?? apiUrl,
    audience: env.SESAME_AUDIENCE,
    introspectionSecret: env.SESAME_INTROSPECTION_SECRET!,
    store,
    cachePrefix: env.SESAME_CACHE_PREFIX,
    upstreamUrl: env.UPSTREAM_URL,
    publicPaths,
    routeGroups,
  };
}

function splitList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

function checkPattern(name: string, pattern: string, problems: string[]): void {
  try {
    compilePathPattern(pattern);
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`);
  }
}

function parseRouteGroups(value: string | undefined, problems: string[]): Record<string, string[]> {
  if (value === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    problems.push(`SESAME_ROUTE_GROUPS: must be JSON, e.g. {"/admin/*":["admin"]}`);
    return {};
  }
  const parsed = routeGroupsSchema.safeParse(json);
  if (!parsed.success) {
    problems.push(`SESAME_ROUTE_GROUPS: must map path patterns to non-empty arrays of group names, e.g. {"/admin/*":["admin"]}`);
    return {};
  }
  for (const pattern of Object.keys(parsed.data)) checkPattern("SESAME_ROUTE_GROUPS", pattern, problems);
  return parsed.data;
}
