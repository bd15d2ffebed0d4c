/**
 * The API's configuration, parsed once with the rules every Sesame service shares
 * (`@sesame/service-kit`: every problem listed together, empty means unset). In development,
 * missing secrets come from `.data/dev-secrets.json` (see @sesame/dev-services); in production
 * (`NODE_ENV=production`) every secret must be given or the process refuses to start.
 */
import { cacheEnvShape, cacheKindFromEnv, requireCacheEnv } from "@sesame/cache";
import { ACCESS_TOKEN_ALGORITHMS, DEFAULT_ACCESS_TOKEN_ALGORITHM, DEFAULT_LEASE_SECONDS, DEFAULT_WEBHOOK_RETRY_SCHEDULE, MAX_LEASE_SECONDS, parseRetrySchedule } from "@sesame/core";
import { nodeEnvSchema, optionalPortSchema, parseEnv, secretSchema } from "@sesame/service-kit";
import { z } from "zod";

const bool = z
  .preprocess((v) => (v === undefined ? undefined : String(v).toLowerCase()), z.enum(["true", "false", "1", "0"]).optional())
  .transform((v) => v === "true" || v === "1");

/**
 * 1 MiB: the largest legitimate body is a 50-call batch or a user with 64 KiB profile and config
 * objects, far below it; an unauthenticated stranger cannot make the API hold more than this.
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const apiEnvSchema = z.object({
  NODE_ENV: nodeEnvSchema,
  HOST: z.string().default("127.0.0.1"),
  /** Contract §7: `API_PORT` wins; `PORT` is accepted when the API runs alone. */
  API_PORT: optionalPortSchema,
  PORT: optionalPortSchema,
  DATABASE_URL: z.url().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).optional(),
  /** Named prepared statements (default on); off only behind a pooler that cannot keep them. */
  DATABASE_PREPARE: z
    .preprocess((v) => (v === undefined ? undefined : String(v).toLowerCase()), z.enum(["true", "false", "1", "0"]).optional())
    .transform((v) => v === undefined || v === "true" || v === "1"),
  ...cacheEnvShape,
  SESAME_ROOT_KEY: z.optional(secretSchema),
  SESAME_ISSUER: z.url().optional(),
  SESAME_AUDIENCE: z.string().min(1).default("sesame"),
  /** JSON key set (see README, "Signing keys"); dev keeps one under .data/. */
  SESAME_SIGNING_KEYS: z.string().optional(),
  /** Algorithm of new signing keys (the first one in dev, and `keys:rotate`): EdDSA or ES256. */
  SESAME_SIGNING_ALG: z.enum(ACCESS_TOKEN_ALGORITHMS).default(DEFAULT_ACCESS_TOKEN_ALGORITHM),
  /** 32 bytes, base64: encrypts provider tokens and keys the enrollment-code HMAC. */
  SESAME_ENCRYPTION_KEY: z.string().refine((v) => base64Bytes(v) === 32, "must be 32 bytes, base64-encoded").optional(),
  SESAME_INTROSPECTION_SECRET: z.optional(secretSchema),
  SESAME_LEASE_SECONDS: z.coerce.number().int().min(1).max(MAX_LEASE_SECONDS).default(DEFAULT_LEASE_SECONDS),
  SESAME_REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).max(30).default(10),
  SESAME_TRUST_PROXY: bool,
  SESAME_COUNTRY_HEADER: z.string().optional(),
  SESAME_MAX_BODY_BYTES: z.coerce.number().int().min(64 * 1024).max(64 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
  /** Lets webhooks reach loopback and private addresses (development and tests only; refused in production). */
  SESAME_WEBHOOKS_ALLOW_PRIVATE: bool,
  /** Waits before each webhook retry; after the last one a delivery is marked failed. */
  SESAME_WEBHOOKS_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_WEBHOOK_RETRY_SCHEDULE)
    .transform((v, ctx) => {
      const parsed = parseRetrySchedule(v);
      if (typeof parsed === "string") {
        ctx.addIssue({ code: "custom", message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  /** Bearer token for `GET /metrics`; unset, /metrics answers 404 (README.md, "Metrics"). */
  SESAME_METRICS_TOKEN: z.optional(secretSchema),
  /** A directory: record a V8 CPU profile and write it there on shutdown (lib/cpu-profile.ts). */
  SESAME_CPU_PROF: z.string().optional(),
  /** Outgoing mail (password reset, email verification): a URL such as `smtps://user:pass@smtp.example.com:465`… */
  SMTP_URL: z.url().refine((v) => /^smtps?:\/\//.test(v), "must be an smtp:// or smtps:// URL").optional(),
  /** …or its parts. Without either, development prints each mail's link to the log instead of sending it. */
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  /** `smtps` (TLS from the first byte, usually port 465); otherwise STARTTLS when the server offers it. */
  SMTP_SECURE: bool,
  /** The From address of Sesame's mail, e.g. `Acme <no-reply@acme.example>`. */
  SMTP_FROM: z.string().min(3).optional(),
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

export const DEFAULT_API_PORT = 4000;

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
  return parseEnv(apiEnvSchema, raw, (rules) => {
    const cacheKind = cacheKindFromEnv(rules.input);
    if (cacheKind) requireCacheEnv(rules, cacheKind);
    const smtp = rules.input.SMTP_URL || rules.input.SMTP_HOST;
    if (rules.input.SMTP_URL && rules.input.SMTP_HOST) rules.problem("give SMTP_URL or SMTP_HOST (with SMTP_PORT, SMTP_USER, SMTP_PASS), not both");
    if (smtp && !rules.input.SMTP_FROM) rules.problem("SMTP_FROM is required with SMTP_URL or SMTP_HOST");
    if (rules.input.NODE_ENV !== "production") return;
    for (const name of PRODUCTION_REQUIRED) rules.require(name, "in production");
    if (/^(true|1)$/i.test(String(rules.input.SESAME_WEBHOOKS_ALLOW_PRIVATE ?? ""))) rules.problem("SESAME_WEBHOOKS_ALLOW_PRIVATE must not be set in production: webhooks could reach internal services");
    if (!cacheKind) rules.problem("UPSTASH_REDIS_REST_URL, REDIS_URL or REDIS_CLUSTER_NODES is required in production");
  });
}

/** The process environment, parsed. The only place the API reads `process.env`. */
export function readApiEnv(): ApiEnv {
  return parseApiEnv(process.env);
}

/** The algorithm of new signing keys alone, for the key tools (they run without the API's other settings). */
export function readSigningAlgorithm(): ApiEnv["SESAME_SIGNING_ALG"] {
  return parseEnv(apiEnvSchema.pick({ SESAME_SIGNING_ALG: true }), process.env).SESAME_SIGNING_ALG;
}

/**
 * Where the command was typed: npm runs a workspace's script in the workspace's folder and keeps
 * the caller's in `INIT_CWD`, so `npm run keys:generate -- --file keys.json` at the root means the root.
 */
export function invocationDir(): string {
  return process.env.INIT_CWD ?? process.cwd();
}
