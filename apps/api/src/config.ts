/**
 * Turns the parsed environment into concrete settings, filling development defaults: embedded
 * Postgres and the local cache endpoint from @sesame/dev-services, and secrets kept under `.data/`.
 * dev-services is a development dependency: it is imported (dynamically) only outside production,
 * so a production install (`npm ci --omit=dev`) and the built bundle never contain it.
 */
import { join } from "node:path";
import { cacheConfigFromEnv, cacheKindFromEnv, type CacheConfig } from "@sesame/cache";
import type { DevSecrets } from "@sesame/dev-services";
import { formatUrlHost } from "@sesame/service-kit/node";
import type { AccessTokenAlgorithm } from "@sesame/core";
import { DEFAULT_API_PORT, type ApiEnv } from "./env.ts";
import type { MailConfig } from "./lib/mailer.ts";

/** What development fills in for what is not configured (see `loadDevDefaults`). */
export interface DevDefaults {
  /** The repository root: `.data/` lives there. */
  root: string;
  secrets: DevSecrets;
  /** The embedded Postgres and the local cache endpoint that `npm run dev` starts. */
  postgresUrl: string;
  cacheUrl: string;
  /** Waits until `npm run dev`'s embedded Postgres and cache endpoint accept connections (they start beside the API). */
  waitForServices(config: ApiConfig): Promise<void>;
}

/** Development defaults, or null in production (nothing is generated or embedded there). */
export async function loadDevDefaults(env: ApiEnv): Promise<DevDefaults | null> {
  if (env.NODE_ENV === "production") return null;
  const { DEV_PORTS, embeddedPostgresUrl, findRepoRoot, loadDevSecrets, waitForTcp } = await import("@sesame/dev-services");
  const root = findRepoRoot();
  const secrets = loadDevSecrets(root);
  const cacheUrl = `http://127.0.0.1:${DEV_PORTS.cache}`;
  return {
    root,
    secrets,
    postgresUrl: embeddedPostgresUrl("127.0.0.1", DEV_PORTS.postgres, secrets.postgresPassword),
    cacheUrl,
    async waitForServices(config) {
      // Not reaching them in time is reported by the checks that follow, in their words.
      const wait = (port: number) => waitForTcp("127.0.0.1", port, 60_000).catch(() => {});
      if (config.database.embedded) await wait(DEV_PORTS.postgres);
      if (config.cache.kind === "upstash" && config.cache.url === cacheUrl) await wait(DEV_PORTS.cache);
    },
  };
}

/** Hosts that mean "every interface": fine to listen on, never an address a token can name. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]", "::0", "0:0:0:0:0:0:0:0"]);

/** The default `iss`: the API's own address, with a wildcard listen address replaced by 127.0.0.1. */
export function defaultIssuer(host: string, port: number): string {
  return `http://${WILDCARD_HOSTS.has(host) ? "127.0.0.1" : formatUrlHost(host)}:${port}`;
}

export interface ApiConfig {
  nodeEnv: ApiEnv["NODE_ENV"];
  host: string;
  port: number;
  database: {
    url: string;
    embedded: boolean;
    poolMax: number;
    prepare?: boolean;
    /** How often each process checks that it still hears API key revocations (api-key-cache.ts); default 10 s, tests shorten it. */
    revocationHeartbeatMs?: number;
  };
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

/** Resolves the configuration; `dev` (from `loadDevDefaults`) fills what is not configured. */
export function resolveApiConfig(env: ApiEnv, dev: DevDefaults | null): ApiConfig {
  const root = dev?.root ?? process.cwd();
  const secrets = dev?.secrets;
  const need = <T>(value: T | undefined, fallback: T | undefined, name: string): T => {
    const v = value ?? fallback;
    if (v === undefined) throw new Error(`${name} is required`);
    return v;
  };
  const port = env.API_PORT ?? env.PORT ?? DEFAULT_API_PORT;
  const embedded = !env.DATABASE_URL;
  const cacheKind = cacheKindFromEnv(env);
  const cache: CacheConfig = cacheKind
    ? cacheConfigFromEnv(env, cacheKind)
    : { kind: "upstash", url: need(undefined, dev?.cacheUrl, "UPSTASH_REDIS_REST_URL"), token: need(undefined, secrets?.cacheToken, "UPSTASH_REDIS_REST_TOKEN"), prefix: env.SESAME_CACHE_PREFIX, timeoutMs: env.SESAME_CACHE_TIMEOUT_MS };
  return {
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port,
    database: {
      // The embedded server admits only the generated dev credentials.
      url: env.DATABASE_URL ?? need(undefined, dev?.postgresUrl, "DATABASE_URL"),
      embedded,
      // PGlite serves one connection and resets extra ones instead of queueing them.
      poolMax: embedded ? 1 : (env.DATABASE_POOL_MAX ?? DEFAULT_POOL_MAX),
      prepare: env.DATABASE_PREPARE,
    },
    cache,
    rootKey: need(env.SESAME_ROOT_KEY, secrets?.rootKey, "SESAME_ROOT_KEY"),
    rootKeySource: env.SESAME_ROOT_KEY ? "env" : "dev",
    issuer: env.SESAME_ISSUER ?? defaultIssuer(env.HOST, port),
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
    mail: mailConfig(env, dev !== null),
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
