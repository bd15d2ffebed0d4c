/**
 * The API's HTTP surface as a Fetch handler (Hono): tRPC at /trpc, the JWKS, the edge's
 * introspection endpoint and health checks. Runtime-neutral; main.ts binds it to a Node server.
 */
import { INTROSPECTION_PATH, bearerToken, introspectionRequestSchema } from "@sesame/core";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { Context as HonoContext } from "hono";
import { createContext } from "./context.ts";
import type { AppDeps } from "./deps.ts";
import { constantTimeEqual } from "./lib/crypto.ts";
import { appRouter } from "./routers/_app.ts";
import { introspectSession } from "./services/introspection.ts";
import { RetryAfterError } from "./lib/errors.ts";

export interface CreateApiAppOptions {
  /** The TCP peer address, from the server adapter. */
  remoteAddress?: (c: HonoContext) => string | null;
}

export function createApiApp(deps: AppDeps, options: CreateApiAppOptions = {}) {
  const app = new Hono();
  const remoteAddress = options.remoteAddress ?? (() => null);

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", async (c) => {
    const [database, cache] = await Promise.all([
      check(() => deps.db.execute(sql`select 1`)),
      check(() => deps.cache.ping()),
    ]);
    const ready = database === "ok" && cache === "ok";
    return c.json({ status: ready ? "ready" : "unavailable", checks: { database, cache } }, ready ? 200 : 503);
  });

  app.get("/.well-known/jwks.json", (c) => {
    // Short enough that a rotation reaches verifiers quickly; they also refetch on an unknown kid.
    c.header("Cache-Control", "public, max-age=300, stale-while-revalidate=60");
    return c.json({ keys: deps.keys.publicJwks(deps.now()) });
  });

  app.post(INTROSPECTION_PATH, async (c) => {
    const token = bearerToken(c.req.header("authorization") ?? null);
    if (!token || !constantTimeEqual(token, deps.config.introspectionSecret)) {
      return c.json({ error: "unauthorized" }, 401);
    }
    const body = introspectionRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: "invalid_request", message: "body must be { sessionId: uuid }" }, 400);
    c.header("Cache-Control", "no-store");
    return c.json(await introspectSession(deps, body.data.sessionId));
  });

  app.all("/trpc/*", (c) =>
    fetchRequestHandler({
      endpoint: "/trpc",
      req: c.req.raw,
      router: appRouter,
      allowBatching: true,
      // The typed client sends queries as POST too, so inputs such as sessions.get's token never
      // land in a URL (and so in access logs).
      allowMethodOverride: true,
      responseMeta: ({ errors }) => {
        const retry = errors.map((e) => (e.cause instanceof RetryAfterError ? e.cause.retryAfterSeconds : 0)).reduce((a, b) => Math.max(a, b), 0);
        return retry > 0 ? { headers: { "Retry-After": String(retry) } } : {};
      },
      createContext: () => createContext(deps, c.req.raw, remoteAddress(c)),
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") deps.logger.error({ err: error, path }, "procedure failed");
      },
    }),
  );

  return app;
}

async function check(probe: () => Promise<unknown>): Promise<string> {
  try {
    await probe();
    return "ok";
  } catch (error) {
    return `unavailable: ${(error as Error).message}`;
  }
}
