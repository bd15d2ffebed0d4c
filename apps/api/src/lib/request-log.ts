/**
 * The API's request log: service-kit's one line per request, with the caller kind the request
 * authenticated as (root, api_key, user, edge; anonymous when none). The kind is noted by the
 * context's caller checks, so it costs no extra lookup.
 */
import { requestLog } from "@sesame/service-kit";
import { requestLineWriter } from "@sesame/service-kit/node";
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { CallerKind } from "../services/callers.ts";

const callerKinds = new WeakMap<Request, CallerKind>();

/** The hook the request's context calls when a caller check passes. */
export function noteCaller(c: Context): (kind: CallerKind) => void {
  return (kind) => void callerKinds.set(c.req.raw, kind);
}

export function apiRequestLog(logger: Logger): MiddlewareHandler {
  return requestLog(requestLineWriter(logger), (c) => callerKinds.get(c.req.raw) ?? "anonymous");
}
