/**
 * The REST surfaces call the tRPC procedures in-process: same context (the caller is authenticated
 * once per request), same middleware (NUL refusal, outages → 503), same services.
 */
import type { Context as HonoContext } from "hono";
import { createContextInner, requestOrigin } from "../context.ts";
import type { AppDeps } from "../deps.ts";
import { noteCaller } from "../lib/request-log.ts";
import { appRouter } from "../routers/_app.ts";
import { createCallerFactory } from "../trpc.ts";

const createCaller = createCallerFactory(appRouter);
export type ApiCaller = ReturnType<typeof createCaller>;

/** `authorization` replaces the request's header (JourneyApps' Basic credentials arrive as Bearer). */
export function callerFor(deps: AppDeps, c: HonoContext, remoteAddress: string | null, authorization = c.req.header("authorization") ?? null): ApiCaller {
  return createCaller(createContextInner(deps, authorization, requestOrigin(deps, c.req.raw, remoteAddress), noteCaller(c)));
}
