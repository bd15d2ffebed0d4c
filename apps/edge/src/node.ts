/**
 * Node entry (`npm run dev` / `npm start`): the edge app on @hono/node-server. Outside production,
 * missing cache and introspection settings come from @sesame/dev-services, and a missing
 * UPSTREAM_URL is replaced by a built-in echo upstream.
 */
import { createCache } from "@sesame/cache/node";
import { requestLog } from "@sesame/service-kit";
import { createLogger, listen, requestLineWriter, runMain, StartupError, type HttpListener } from "@sesame/service-kit/node";
import { Hono } from "hono";
import { checkApiAgreement, type AgreementSettings } from "./api-agreement.ts";
import { createEdgeApp } from "./app.ts";
import { authOptionsFromEnv } from "./config-from-env.ts";
import { createEchoUpstream } from "./dev-echo-upstream.ts";
import { parseEdgeEnv, readProcessEnv } from "./env.ts";
import type { SessionAuthEvent, SessionVariables } from "./middleware.ts";
import { createEdgeMetrics } from "./node-metrics.ts";
import { createNodeUpstreamTransport } from "./node-transport.ts";

// Until the configuration is read; then the level is LOG_LEVEL's.
let logger: ReturnType<typeof createLogger> = createLogger({ service: "sesame-edge", level: "info" });
const log = (message: string) => logger.info(message);

/** Development defaults shared with the API and dev-services through `.data/dev-secrets.json`. */
async function developmentDefaults(raw: Record<string, string | undefined>): Promise<Record<string, string>> {
  const needsCache = !raw.UPSTASH_REDIS_REST_URL && !raw.REDIS_URL;
  const needsSecret = !raw.SESAME_INTROSPECTION_SECRET;
  if (!needsCache && !needsSecret) return {};
  // Imported only here: dev-services is a development dependency, absent from production installs.
  const { DEV_PORTS, findRepoRoot, loadDevSecrets } = await import("@sesame/dev-services");
  const secrets = loadDevSecrets(findRepoRoot());
  const defaults: Record<string, string> = {};
  if (needsCache) {
    defaults.UPSTASH_REDIS_REST_URL = `http://127.0.0.1:${DEV_PORTS.cache}`;
    defaults.UPSTASH_REDIS_REST_TOKEN = secrets.cacheToken;
    log(`dev: cache = local Upstash endpoint ${defaults.UPSTASH_REDIS_REST_URL} (token from .data/dev-secrets.json)`);
  }
  if (needsSecret) defaults.SESAME_INTROSPECTION_SECRET = secrets.introspectionSecret;
  return defaults;
}

/** One log line per kind of trouble per 10 s: an outage must be visible without flooding the log. */
function createEventLogger(): (event: SessionAuthEvent) => void {
  const lastLogged = new Map<string, number>();
  return (event) => {
    // Routine events (verifications, cache hits, decisions) are for the metrics, not the log.
    if (event.type === "token_verified" || event.type === "introspection" || event.type === "token_cache_hit" || event.type === "session_cache_hit" || event.type === "decision") return;
    const now = Date.now();
    if (now - (lastLogged.get(event.type) ?? 0) < 10_000) return;
    lastLogged.set(event.type, now);
    const detail = "error" in event && event.error instanceof Error ? `: ${event.error.message}` : "";
    logger.warn(`${event.type}${detail}`);
  };
}

/** Seconds between tries while the API has not answered yet (under `npm run dev` it starts beside the edge). */
const AGREEMENT_RETRY_MS = 2_000;

/**
 * Compares the edge's `iss`/`aud`/JWKS with what the API issues. A mismatch at start is a start
 * failure; if the API is not up yet, the comparison is repeated until it answers, and a mismatch
 * then stops the edge with the same line (every token would be refused otherwise).
 */
async function enforceApiAgreement(settings: AgreementSettings): Promise<void> {
  const describe = (problems: string[]) => `token settings disagree with the API: ${problems.join("; ")}`;
  const first = await checkApiAgreement(settings);
  if (first.kind === "mismatch") throw new StartupError(describe(first.problems));
  if (first.kind === "agree") return;
  log(`the API at ${settings.apiUrl} did not answer (${first.reason}); its iss/aud will be compared when it does`);
  const retry = async (): Promise<void> => {
    const result = await checkApiAgreement(settings);
    if (result.kind === "unreachable") {
      setTimeout(() => void retry(), AGREEMENT_RETRY_MS).unref();
      return;
    }
    if (result.kind === "mismatch") {
      console.error(`Sesame edge: ${describe(result.problems)}`);
      process.exit(1);
    }
  };
  setTimeout(() => void retry(), AGREEMENT_RETRY_MS).unref();
}

async function main(): Promise<void> {
  const raw = Object.fromEntries(Object.entries(readProcessEnv()).filter(([, value]) => value !== undefined && value !== ""));
  const production = raw.NODE_ENV === "production";
  const env = parseEdgeEnv({ ...(production ? {} : await developmentDefaults(raw)), ...raw });
  logger = createLogger({ service: "sesame-edge", level: env.logLevel });

  await enforceApiAgreement({ apiUrl: env.apiUrl, issuer: env.issuer, audience: env.audience, jwksUrl: env.jwksUrl });
  const cache = createCache(env.cache);

  let echo: HttpListener | undefined;
  let upstreamUrl = env.upstreamUrl;
  if (!upstreamUrl) {
    echo = await listen(createEchoUpstream().fetch);
    upstreamUrl = echo.url;
    log(`dev: UPSTREAM_URL is unset, proxying to a built-in echo upstream at ${upstreamUrl}`);
  }

  const metrics = createEdgeMetrics();
  const logEvent = createEventLogger();
  const onEvent = (event: SessionAuthEvent) => {
    metrics.onEvent(event);
    logEvent(event);
  };
  const upstream = createNodeUpstreamTransport();
  const edge = createEdgeApp({ ...authOptionsFromEnv(env), store: cache.store, upstreamUrl, transport: upstream.forward, onEvent });
  // The request log, first: method, path, status, ms and whether a session was admitted.
  const app = new Hono<{ Variables: SessionVariables }>()
    .use(requestLog(requestLineWriter(logger), (c) => (c.get("session") ? "user" : "anonymous")))
    .route("/", edge);
  const server = await listen(metrics.wrapFetch(app.fetch, env.metricsToken), { host: env.host, port: env.port });
  log(`listening on ${server.url} (cache: ${env.cache.kind}, API: ${env.apiUrl}, upstream: ${upstreamUrl})`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    // Connections that linger (keep-alive, slow clients) must not hold the process for ever.
    setTimeout(() => process.exit(0), 5_000).unref();
    void server.drain().then(async () => {
      await upstream.close();
      await echo?.close();
      await cache.close();
      process.exit(0);
    });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

runMain(main, { service: "Sesame edge", portVariable: "EDGE_PORT" });
