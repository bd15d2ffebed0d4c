/**
 * The REST surfaces, generated from zod (README "REST"): `/v1` (v1-routes.ts), the JourneyApps
 * Users & Sessions API under `/api/v4/{tenant}` (journeyapps/), `GET /openapi.json` (OpenAPI 3.1,
 * built by @hono/zod-openapi from the very route descriptions Hono serves) and `GET /docs`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context as HonoContext } from "hono";
import { ZodRealError } from "zod";
import type { AppDeps } from "../deps.ts";
import { callerFor } from "./caller.ts";
import { mountDocs } from "./docs.ts";
import { mountJourneyApps } from "./journeyapps/journeyapps-routes.ts";
import { SECURITY_SCHEMES } from "./openapi-parts.ts";
import { asTRPCError, restErrorResponse } from "./rest-errors.ts";
import { mountUsersImportStream } from "./users-import-stream.ts";
import { v1Operations } from "./v1-routes.ts";

export const OPENAPI_PATH = "/openapi.json";

export interface RestAppOptions {
  remoteAddress: (c: HonoContext) => string | null;
}

export type RestApp = OpenAPIHono;

export function createRestApp(deps: AppDeps, options: RestAppOptions): RestApp {
  const app = new OpenAPIHono({
    // Input that does not validate: the same 400 body, with the same `field`, as the procedure would give.
    defaultHook: (result) => (result.success ? undefined : restErrorResponse(asTRPCError(new ZodRealError(result.error.issues)))),
  });
  app.onError((error, c) => failure(deps, error, c.req.path));
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);

  mountUsersImportStream(app, deps, options.remoteAddress);
  for (const op of v1Operations) {
    app.openapi(op.route, (async (c: HonoContext) => {
      const valid = c.req as unknown as { valid: (target: string) => Record<string, unknown> | undefined };
      const input = { ...valid.valid("param"), ...valid.valid("query"), ...valid.valid("json") };
      const procedure = op.call(callerFor(deps, c, options.remoteAddress(c)));
      return c.json(await procedure(input as never), op.status);
    }) as never);
  }
  mountJourneyApps(app, deps, options);

  let document: unknown;
  app.get(OPENAPI_PATH, (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Sesame API",
        version: "1",
        description:
          "Sessions for your applications: REST under `/v1` and the JourneyApps-compatible Users & Sessions API under `/api/v4/{tenant}`. The same procedures are served over tRPC at `/trpc`.",
      },
      tags: [
        { name: "Users" },
        { name: "Sessions" },
        { name: "Auth" },
        { name: "Batch" },
        { name: "Events" },
        { name: "API keys" },
        { name: "Tenants" },
        { name: "JourneyApps", description: "JourneyApps Backend API v4: Manage App Users and Sessions" },
      ],
    });
    return c.json(document);
  });
  mountDocs(app, OPENAPI_PATH);
  return app;
}

/** A thrown error as a REST answer; unexpected ones are logged (never their details to the caller). */
export function failure(deps: AppDeps, error: unknown, path: string): Response {
  const trpcError = asTRPCError(error);
  if (trpcError.code === "INTERNAL_SERVER_ERROR") deps.logger.error({ err: error, path }, "request failed");
  if (trpcError.code === "SERVICE_UNAVAILABLE") deps.logger.warn({ err: error, path }, "dependency unavailable");
  return restErrorResponse(trpcError);
}
