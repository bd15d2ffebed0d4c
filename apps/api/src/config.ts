/**
 * Turns the parsed environment into concrete settings, filling development defaults: embedded
 * Postgres and the local cache endpoint from @sesame/dev-services, and secrets kept under `.data/`.
 */
import { join } from "node:path";
import { cacheConfigFromEnv, cacheKindFromEnv, type CacheConfig } from "@sesame/cache";
import { DEV_PORTS, embeddedPostgresUrl, findRepoRoot, loadDevSecrets } from "@sesame/dev-services";
import type { AccessTokenAlgorithm } from "@sesame/core";
import type { ApiEnv } from "./env.ts";
import type { MailConfig } from "./lib/mailer.ts";

export interface ApiConfig {
  nodeEnv: ApiEnv["NODE_ENV"];
  host: string;
  port: number;
  database: { url: string; embedded: boolean; poolMax: number; prepare?: boolean };
  cache: CacheConfig;
  rootKey: string;
  /** Where the root key came from: printed at start only when generated for development. */
  rootKeySource: "env" | "dev";
  issuer: string;
  audience: string;
  signingKeys: { kind: "inline"; json: string } | { kind: "file"; path: string } | { kind: "memory" };
  /** Algorithm of keys created here: the dev key file's first key, in-memory keys, `keys:rotate`. */
  signingAlgorithm: AccessTokenAlgorithm;
  encryptionKey: Uint8Array;
  introspectionSecret: string;
  leaseSeconds: number;
  refreshGraceSeconds: number;
  trustProxy: boolean;
  countryHeader: string | null;
  /** Outgoing mail (lib/mailer.ts). */
  mail: MailConfig;
  /** Larger request bodies are refused with 413 before they are read. */
  maxBodyBytes: number;
  logLevel: ApiEnv["LOG_LEVEL"];
  /** `SESAME_METRICS_TOKEN`: the bearer token `GET /metrics` requires; null turns /metrics off. */
  metricsToken?: string | null;
  /** `SESAME_CPU_PROF`: where main.ts writes a CPU profile on shutdown; null when not profiling. */
  cpuProfileDir?: string | null;
  webhooks: WebhookConfig;
}

export interface WebhookConfig {
  /** Loopback and private targets allowed (`SESAME_WEBHOOKS_ALLOW_PRIVATE`). */
  allowPrivate: boolean;
  /** Only `https:` targets (production). */
  httpsOnly: boolean;
  /** Waits before each retry, in ms (`SESAME_WEBHOOKS_RETRY_SCHEDULE`). */
  retryScheduleMs: number[];
}

/** Postgres connections per API process when DATABASE_POOL_MAX is not set. */
export const DEFAULT_POOL_MAX = 10;

/** Resolves the configuration; in development, reads or creates `.data/dev-secrets.json`. */
export function resolveApiConfig(env: ApiEnv): ApiConfig {
  const dev = env.NODE_ENV !== "production";
  const root = dev ? findRepoRoot() : process.cwd();
  const secrets = dev ? loadDevSecrets(root) : null;
  const need = <T>(value: T | undefined, fallback: T | undefined, name: string): T => {
    const v = value ?? fallback;
    if (v === undefined) throw new Error(`${name} is required`);
    return v;
  };
  const embedded = !env.DATABASE_URL;
  const cacheKind = cacheKindFromEnv(env);
  const cache: CacheConfig = cacheKind
    ? cacheConfigFromEnv(env, cacheKind)
    : { kind: "upstash", url: `http://127.0.0.1:${DEV_PORTS.cache}`, token: need(undefined, secrets?.cacheToken, "UPSTASH_REDIS_REST_TOKEN"), prefix: env.SESAME_CACHE_PREFIX, timeoutMs: env.SESAME_CACHE_TIMEOUT_MS };
  return {
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    database: {
      // The embedded server admits only the generated dev credentials.
      url: env.DATABASE_URL ?? embeddedPostgresUrl("127.0.0.1", DEV_PORTS.postgres, need(undefined, secrets?.postgresPassword, "DATABASE_URL")),
      embedded,
      // PGlite serves one connection and resets extra ones instead of queueing them.
      poolMax: embedded ? 1 : (env.DATABASE_POOL_MAX ?? DEFAULT_POOL_MAX),
      prepare: env.DATABASE_PREPARE,
    },
    cache,
    rootKey: need(env.SESAME_ROOT_KEY, secrets?.rootKey, "SESAME_ROOT_KEY"),
    rootKeySource: env.SESAME_ROOT_KEY ? "env" : "dev",
    issuer: env.SESAME_ISSUER ?? `http://${env.HOST}:${env.PORT}`,
    audience: env.SESAME_AUDIENCE,
    signingKeys: env.SESAME_SIGNING_KEYS
      ? { kind: "inline", json: env.SESAME_SIGNING_KEYS }
      : { kind: "file", path: join(root, ".data", "signing-keys.json") },
    signingAlgorithm: env.SESAME_SIGNING_ALG,
    encryptionKey: new Uint8Array(Buffer.from(need(env.SESAME_ENCRYPTION_KEY, secrets?.encryptionKey, "SESAME_ENCRYPTION_KEY"), "base64")),
    introspectionSecret: need(env.SESAME_INTROSPECTION_SECRET, secrets?.introspectionSecret, "SESAME_INTROSPECTION_SECRET"),
    leaseSeconds: env.SESAME_LEASE_SECONDS,
    refreshGraceSeconds: env.SESAME_REFRESH_GRACE_SECONDS,
    trustProxy: env.SESAME_TRUST_PROXY,
    countryHeader: env.SESAME_COUNTRY_HEADER?.toLowerCase() ?? null,
    maxBodyBytes: env.SESAME_MAX_BODY_BYTES,
    mail: mailConfig(env, dev),
    logLevel: env.LOG_LEVEL,
    webhooks: {
      allowPrivate: env.SESAME_WEBHOOKS_ALLOW_PRIVATE,
      httpsOnly: env.NODE_ENV === "production",
      retryScheduleMs: env.SESAME_WEBHOOKS_RETRY_SCHEDULE,
    },
    cpuProfileDir: env.SESAME_CPU_PROF ?? null,
    metricsToken: env.SESAME_METRICS_TOKEN ?? null,
  };
}

/** SMTP when configured; else, in development, the log catcher; in production, no mail. */
function mailConfig(env: ApiEnv, dev: boolean): MailConfig {
  if (env.SMTP_URL) return { kind: "smtp", transport: env.SMTP_URL, from: env.SMTP_FROM! };
  if (env.SMTP_HOST) {
    const auth = env.SMTP_USER ? { user: env.SMTP_USER, pass: env.SMTP_PASS ?? "" } : undefined;
    return { kind: "smtp", transport: { host: env.SMTP_HOST, port: env.SMTP_PORT ?? (env.SMTP_SECURE ? 465 : 587), secure: env.SMTP_SECURE, ...(auth ? { auth } : {}) }, from: env.SMTP_FROM! };
  }
  return dev ? { kind: "log" } : { kind: "none" };
}
