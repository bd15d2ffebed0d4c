/**
 * The API's configuration, parsed once. Every problem is listed together. In development, missing
 * secrets come from `.data/dev-secrets.json` (see @sesame/dev-services); in production
 * (`NODE_ENV=production`) every secret must be given or the process refuses to start.
 */
import { BEARER_TOKEN_PATTERN, DEFAULT_LEASE_SECONDS, MAX_LEASE_SECONDS } from "@sesame/core";
import { z } from "zod";

const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url().optional());
const optionalString = z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional());
/** Both secrets travel as `Authorization: Bearer`, whose grammar (RFC 6750 b64token) they must fit. */
const BEARER_CHARACTERS = "must use only the characters A-Z a-z 0-9 - . _ ~ + / (then optional trailing =)";
const bool = z.preprocess((v) => (v === undefined || v === "" ? undefined : String(v).toLowerCase()), z.enum(["true", "false", "1", "0"]).optional())
  .transform((v) => v === "true" || v === "1");

/**
 * 1 MiB: the largest legitimate body is a 50-call batch or a user with 64 KiB profile and config
 * objects, far below it; an unauthenticated stranger cannot make the API hold more than this.
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const apiEnvSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: optionalUrl,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).optional(),
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  REDIS_URL: optionalUrl,
  SESAME_CACHE_PREFIX: z.string().default("sesame:"),
  SESAME_ROOT_KEY: optionalString
    .refine((v) => v === undefined || v.length >= 32, "must be at least 32 characters")
    .refine((v) => v === undefined || BEARER_TOKEN_PATTERN.test(v), BEARER_CHARACTERS),
  SESAME_ISSUER: optionalUrl,
  SESAME_AUDIENCE: z.string().min(1).default("sesame"),
  /** JSON key set (see README, "Signing keys"); dev keeps one under .data/. */
  SESAME_SIGNING_KEYS: optionalString,
  /** 32 bytes, base64: encrypts provider tokens and keys the enrollment-code HMAC. */
  SESAME_ENCRYPTION_KEY: optionalString.refine(
    (v) => v === undefined || base64Bytes(v) === 32,
    "must be 32 bytes, base64-encoded",
  ),
  SESAME_INTROSPECTION_SECRET: optionalString
    .refine((v) => v === undefined || v.length >= 32, "must be at least 32 characters")
    .refine((v) => v === undefined || BEARER_TOKEN_PATTERN.test(v), BEARER_CHARACTERS),
  SESAME_LEASE_SECONDS: z.coerce.number().int().min(1).max(MAX_LEASE_SECONDS).default(DEFAULT_LEASE_SECONDS),
  SESAME_REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).max(30).default(10),
  SESAME_TRUST_PROXY: bool,
  SESAME_COUNTRY_HEADER: optionalString,
  SESAME_CACHE_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(500),
  SESAME_MAX_BODY_BYTES: z.coerce.number().int().min(64 * 1024).max(64 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

function base64Bytes(v: string): number {
  try {
    return Buffer.from(v, "base64").length;
  } catch {
    return -1;
  }
}

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const PRODUCTION_REQUIRED = [
  "DATABASE_URL",
  "SESAME_ROOT_KEY",
  "SESAME_ISSUER",
  "SESAME_SIGNING_KEYS",
  "SESAME_ENCRYPTION_KEY",
  "SESAME_INTROSPECTION_SECRET",
] as const;

/** Parses a raw environment record. Throws ConfigError naming every problem. */
export function parseApiEnv(raw: Record<string, string | undefined>): ApiEnv {
  const parsed = apiEnvSchema.safeParse(raw);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  if (parsed.success && parsed.data.NODE_ENV === "production") {
    for (const name of PRODUCTION_REQUIRED) {
      if (!parsed.data[name]) problems.push(`${name}: required when NODE_ENV=production`);
    }
    if (!parsed.data.UPSTASH_REDIS_REST_URL && !parsed.data.REDIS_URL) {
      problems.push("UPSTASH_REDIS_REST_URL or REDIS_URL: one is required when NODE_ENV=production");
    }
  }
  if (parsed.success && parsed.data.UPSTASH_REDIS_REST_URL && !parsed.data.UPSTASH_REDIS_REST_TOKEN) {
    problems.push("UPSTASH_REDIS_REST_TOKEN: required with UPSTASH_REDIS_REST_URL");
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

/** The process environment, parsed. The only place the API reads `process.env`. */
export function readApiEnv(): ApiEnv {
  return parseApiEnv(process.env);
}
