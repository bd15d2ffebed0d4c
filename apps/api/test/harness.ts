/**
 * Runs the real API (Hono app, Postgres, cache) on a random local port for a test file, and hands
 * out typed clients. Storage is whatever the global setup started: real servers or embedded ones.
 */
import { randomBytes } from "node:crypto";
import { createSesameClient } from "@sesame/client";
import type { SesameBackends } from "@sesame/dev-services";
import { listen } from "@sesame/service-kit/node";
import { inject } from "vitest";
import { createApiApp, maxBodyBytesFor } from "../src/app.ts";
import type { ApiConfig } from "../src/config.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../src/env.ts";
import { createDeps } from "../src/create-deps.ts";
import { createDb } from "../src/db/client.ts";
import type { AppDeps } from "../src/deps.ts";
import { startCacheOutboxWorker } from "../src/services/revocation/outbox-worker.ts";
import { startWebhookWorker, type WebhookWorkerOptions } from "../src/services/webhooks/worker.ts";

export interface HarnessOptions {
  now?: () => Date;
  config?: Partial<ApiConfig>;
  /** Replace dependencies (for example a cache store pointed at a dead port). */
  deps?: Partial<AppDeps>;
  /** Backends to use outside vitest (scripts); inside vitest they come from inject(). */
  backends?: SesameBackends;
  /** Listen on this port instead of a random one. */
  port?: number;
  /** Run the cache outbox retry worker, as main.ts does (off by default so tests stay deterministic). */
  outboxWorker?: boolean;
  /** Run the webhook worker, as main.ts does (off by default). */
  webhookWorker?: boolean | WebhookWorkerOptions;
  /** Sees every statement the API sends to Postgres, as sent (to count the work a request does). */
  onQuery?: (statement: string, connection: number) => void;
}

/** Config for a test API over the run's backends (from vitest's inject, or given explicitly). */
export function testConfig(overrides: Partial<ApiConfig> = {}, backends?: SesameBackends): ApiConfig {
  const b = backends ?? inject("sesameBackends");
  const embedded = b.description.postgres === "embedded";
  return {
    nodeEnv: "test",
    host: "127.0.0.1",
    port: 0,
    database: { url: b.databaseUrl, embedded, poolMax: embedded ? 1 : 4 },
    // 2 s, not the product's 500 ms: a cache call on a loaded CI machine must not turn into a 503 in a
    // test about something else. Outage tests give their own short budget.
    cache: { kind: "upstash", url: b.upstash.url, token: b.upstash.token, prefix: b.cachePrefix, timeoutMs: 2_000 },
    rootKey: `sesame_root_${randomBytes(32).toString("base64url")}`,
    rootKeySource: "env",
    issuer: "http://sesame.test",
    audience: "sesame",
    signingKeys: { kind: "memory" },
    signingAlgorithm: "EdDSA",
    encryptionKey: new Uint8Array(randomBytes(32)),
    introspectionSecret: randomBytes(32).toString("base64url"),
    leaseSeconds: 30,
    refreshGraceSeconds: 10,
    trustProxy: true,
    countryHeader: "x-test-country",
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    mail: { kind: "log" },
    logLevel: "silent",
    // Tests deliver to receivers on 127.0.0.1 and retry within a second.
    webhooks: { allowPrivate: true, httpsOnly: false, retryScheduleMs: [200, 400, 800] },
    ...overrides,
  };
}

/** The worker's fold of the edges' "seen" marks, for tests that run it by hand, and the worker itself. */
export { foldSeenMarks } from "../src/services/sessions/seen-marks.ts";
export { startCacheOutboxWorker } from "../src/services/revocation/outbox-worker.ts";

export async function startApi(options: HarnessOptions = {}) {
  const config = testConfig(options.config, options.backends);
  const observed = options.onQuery ? createDb({ url: config.database.url, max: config.database.poolMax, onQuery: options.onQuery }) : null;
  const deps = await createDeps(config, { ...(options.now ? { now: options.now } : {}), ...(observed ? { db: observed.db } : {}), ...options.deps });
  const app = createApiApp(deps, { remoteAddress: () => "127.0.0.1" });
  const worker = options.outboxWorker ? startCacheOutboxWorker(deps, 250) : null;
  const webhookWorker = options.webhookWorker ? startWebhookWorker(deps, options.webhookWorker === true ? {} : options.webhookWorker) : null;
  const server = await listen(app.fetch, { port: options.port ?? 0, maxBodyBytes: (request) => maxBodyBytesFor(deps.config, request) });
  const { url } = server;
  return {
    url,
    deps,
    config,
    app,
    /** A client with the root key. */
    root: () => createSesameClient({ url, apiKey: config.rootKey }),
    /** A client with a tenant API key. */
    admin: (apiKey: string) => createSesameClient({ url, apiKey }),
    user: (accessToken: string) => createSesameClient({ url, accessToken }),
    anonymous: () => createSesameClient({ url }),
    async stop() {
      await server.close();
      await worker?.stop();
      await webhookWorker?.stop();
      await deps.close();
      await observed?.close();
    },
  };
}
export type ApiHarness = Awaited<ReturnType<typeof startApi>>;

let counter = 0;
/** A unique tenant code for this run (codes are global). */
export function uniqueTenantCode(prefix = "T"): string {
  counter += 1;
  return `${prefix}${randomBytes(4).toString("hex").toUpperCase()}${counter}`.slice(0, 16);
}

/** Creates a tenant through the API and returns an admin client for it. */
export async function createTenantWithAdmin(api: ApiHarness, settings?: Record<string, unknown>) {
  const created = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Test tenant", ...(settings ? { settings } : {}) });
  return { ...created, admin: api.admin(created.key) };
}
