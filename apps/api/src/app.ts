/**
 * The API's HTTP surface as a Fetch handler (Hono): tRPC at /trpc, REST at /v1 and /api/v4 with
 * /openapi.json and /docs (rest/), the JWKS, the edge's introspection endpoint and health checks.
 * main.ts binds it to a Node server.
 */
import { API_METADATA_PATH, INTROSPECTION_PATH, JWKS_PATH, bearerToken, introspectionRequestSchema, type ApiMetadata } from "@sesame/core";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { Context as HonoContext } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createContext } from "./context.ts";
import type { AppDeps } from "./deps.ts";
import { constantTimeEqual } from "./lib/crypto.ts";
import { apiRequestLog, noteCaller } from "./lib/request-log.ts";
import { appRouter } from "./routers/_app.ts";
import { introspectSession } from "./services/introspection/introspect-session.ts";
import { OUTAGE_RETRY_AFTER_SECONDS, RetryAfterError } from "./lib/errors.ts";
import { mapKnownFailure } from "./lib/known-failures.ts";
import { trpcErrorResponse, trpcPathOf } from "./trpc-error-response.ts";
import { createRestApp, failure } from "./rest/rest-app.ts";
import { isRestPath, restErrorResponse } from "./rest/rest-errors.ts";
import { USERS_IMPORT_STREAM_PATH } from "./rest/users-import-stream.ts";

const TRPC_ENDPOINT = "/trpc";
/**
 * The most calls one tRPC batch may carry (the typed client splits larger ones). Each call is still
 * a unit of work; the cap keeps one request from queueing thousands of them.
 */
export const MAX_BATCH_SIZE = 50;

export interface CreateApiAppOptions {
  /** The TCP peer address, from the server adapter. */
  remoteAddress?: (c: HonoContext) => string | null;
}

/**
 * The body limit of a request: `SESAME_MAX_BODY_BYTES`, except the streamed import, which reads its
 * body line by line under limits of its own (rest/users-import-stream.ts). The listener asks it
 * too, to answer `Expect: 100-continue` (service-kit's listen).
 */
export function maxBodyBytesFor(config: Pick<AppDeps["config"], "maxBodyBytes">, request: { method: string; path: string }): number | null {
  return request.method === "POST" && request.path === USERS_IMPORT_STREAM_PATH ? null : config.maxBodyBytes;
}

export function createApiApp(deps: AppDeps, options: CreateApiAppOptions = {}) {
  const app = new Hono();
  const remoteAddress = options.remoteAddress ?? (() => null);
  const { metrics } = deps;

  // First, so every answer is counted, refusals and 413s included. Labels are bounded: a known
  // procedure or a route pattern, never a raw path a caller chose.
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    const route = routeLabel(c.req.path, c.req.routePath);
    const status = String(c.res.status);
    metrics.requests.inc({ route, method: c.req.method, status });
    metrics.duration.observe({ route }, (performance.now() - started) / 1000);
    if (c.res.status === 503) metrics.unavailable.inc({ route });
  });

  // First, so its line covers every request and every answer, refusals included.
  app.use("*", apiRequestLog(deps.logger));

  // Before anything reads a body: refused on Content-Length alone, or counted while streaming
  // (chunked) and cut off at the limit, so an oversized body is never held in memory.
  const tooLarge = (c: HonoContext) => {
    const message = `Request body larger than ${deps.config.maxBodyBytes} bytes`;
    // The rest of the body is not wanted: close instead of draining it for keep-alive.
    const headers = { connection: "close" };
    const url = new URL(c.req.url);
    if (url.pathname.startsWith(`${TRPC_ENDPOINT}/`)) {
      return trpcErrorResponse(appRouter, new TRPCError({ code: "PAYLOAD_TOO_LARGE", message }), trpcPathOf(url, TRPC_ENDPOINT), headers);
    }
    if (isRestPath(url.pathname)) return restErrorResponse(new TRPCError({ code: "PAYLOAD_TOO_LARGE", message }), headers);
    return c.json({ error: "payload_too_large", message }, 413, headers);
  };
  const countStreamedBody = bodyLimit({ maxSize: deps.config.maxBodyBytes, onError: tooLarge });
  app.use("*", async (c, next) => {
    if (maxBodyBytesFor(deps.config, c.req) === null) return next();
    // A declared length is judged from the header, as Hono's bodyLimit does too; but that one asks
    // for `raw.body` first, which makes @hono/node-server build a whole Fetch Request with a web
    // stream over the socket, and tRPC then reads the body through it: on every call. Only a
    // chunked body needs counting while it streams.
    const headers = c.req.raw.headers;
    if (!headers.has("transfer-encoding")) return parseInt(headers.get("content-length") ?? "0", 10) > deps.config.maxBodyBytes ? tooLarge(c) : next();
    return countStreamedBody(c, next);
  });

  // Anything else that escapes a route: an outage is a 503 with Retry-After, never a 500.
  app.onError((error, c) => {
    if (isRestPath(c.req.path)) return failure(deps, error, c.req.path);
    const known = mapKnownFailure(error);
    if (known?.code === "SERVICE_UNAVAILABLE") {
      deps.logger.warn({ err: error, path: c.req.path }, "dependency unavailable");
      return c.json({ error: "unavailable", message: known.message }, 503, { "Retry-After": String(OUTAGE_RETRY_AFTER_SECONDS) });
    }
    deps.logger.error({ err: error, path: c.req.path }, "request failed");
    return c.json({ error: "internal_error", message: "Internal error" }, 500);
  });

  app.notFound((c) => (isRestPath(c.req.path) ? restErrorResponse(new TRPCError({ code: "NOT_FOUND", message: `No route ${c.req.method} ${c.req.path}` })) : c.text("404 Not Found", 404)));

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  // Off unless SESAME_METRICS_TOKEN is set, and then only with it: the figures (traffic, refusals,
  // backlog) are for operators, and the API often listens on a public address.
  app.get("/metrics", async (c) => {
    const expected = deps.config.metricsToken;
    if (!expected) return c.text("404 Not Found", 404);
    const token = bearerToken(c.req.header("authorization") ?? null);
    if (!token || !constantTimeEqual(token, expected)) return c.json({ error: "unauthorized" }, 401, { "WWW-Authenticate": "Bearer" });
    c.header("Cache-Control", "no-store");
    return c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType });
  });

  // Public: names and status only. Why a dependency failed goes to the log, not to strangers.
  app.get("/readyz", async (c) => {
    const [database, cache] = await Promise.all([
      check(deps, "database", () => deps.db.execute(sql`select 1`)),
      check(deps, "cache", () => deps.cache.ping()),
    ]);
    const ready = database === "ok" && cache === "ok";
    return c.json({ status: ready ? "ready" : "unavailable", checks: { database, cache } }, ready ? 200 : 503);
  });

  app.get(JWKS_PATH, (c) => {
    // Short enough that a rotation reaches verifiers quickly; they also refetch on an unknown kid.
    c.header("Cache-Control", "public, max-age=300, stale-while-revalidate=60");
    return c.json({ keys: deps.keys.publicJwks(deps.now()) });
  });

  // What a verifier must expect; the edge compares it with its own settings when it starts.
  app.get(API_METADATA_PATH, (c) => {
    c.header("Cache-Control", "public, max-age=300");
    const metadata: ApiMetadata = { issuer: deps.config.issuer, jwks_uri: `${deps.config.issuer.replace(/\/+$/, "")}${JWKS_PATH}`, sesame_audience: deps.config.audience };
    return c.json(metadata);
  });

  app.post(INTROSPECTION_PATH, async (c) => {
    const token = bearerToken(c.req.header("authorization") ?? null);
    if (!token || !constantTimeEqual(token, deps.config.introspectionSecret)) {
      return c.json({ error: "unauthorized" }, 401);
    }
    noteCaller(c)("edge");
    const body = introspectionRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: "invalid_request", message: "body must be { sessionId: uuid }" }, 400);
    c.header("Cache-Control", "no-store");
    const answer = await introspectSession(deps, body.data);
    metrics.introspections.inc({ result: answer.active ? "active" : answer.reason });
    return c.json(answer);
  });

  app.all(`${TRPC_ENDPOINT}/*`, (c) => {
    const url = new URL(c.req.url);
    // Inputs (sessions.get's token, emails, search terms) must never sit in a URL, where access
    // logs, proxies and browser history keep them: a GET carrying an input is refused outright.
    if (c.req.method === "GET" && url.searchParams.has("input")) {
      const message = "Inputs are not accepted in URLs: send this call as POST with the input in the body";
      return trpcErrorResponse(appRouter, new TRPCError({ code: "METHOD_NOT_SUPPORTED", message }), trpcPathOf(url, TRPC_ENDPOINT), { allow: "POST" });
    }
    return fetchRequestHandler({
      endpoint: TRPC_ENDPOINT,
      req: c.req.raw,
      router: appRouter,
      allowBatching: true,
      maxBatchSize: MAX_BATCH_SIZE,
      // Queries may be sent as POST (the typed client sends every call so).
      allowMethodOverride: true,
      responseMeta: ({ errors }) => {
        const retry = errors.map((e) => (e.cause instanceof RetryAfterError ? e.cause.retryAfterSeconds : 0)).reduce((a, b) => Math.max(a, b), 0);
        return retry > 0 ? { headers: { "Retry-After": String(retry) } } : {};
      },
      createContext: () => createContext(deps, c.req.raw, remoteAddress(c), noteCaller(c)),
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") deps.logger.error({ err: error, path }, "procedure failed");
        if (error.code === "SERVICE_UNAVAILABLE") deps.logger.warn({ err: error, path }, "dependency unavailable");
      },
    });
  });

  app.route("/", createRestApp(deps, { remoteAddress }));

  return app;
}

async function check(deps: AppDeps, name: string, probe: () => Promise<unknown>): Promise<"ok" | "unavailable"> {
  try {
    await probe();
    return "ok";
  } catch (error) {
    deps.logger.warn({ err: error, dependency: name }, "readiness check failed");
    return "unavailable";
  }
}

/** `trpc:<procedure>` (or `trpc:batch`), the REST route pattern, or `unmatched`. */
function routeLabel(path: string, routePath: string): string {
  if (path.startsWith(`${TRPC_ENDPOINT}/`)) {
    const procedure = path.slice(TRPC_ENDPOINT.length + 1);
    if (procedure.includes(",")) return "trpc:batch";
    return procedure in appRouter._def.procedures ? `trpc:${procedure}` : "trpc:unknown";
  }
  // Only the catch-all middlewares matched: the not-found answer.
  return routePath === "*" || routePath === "/*" ? "unmatched" : routePath;
}
