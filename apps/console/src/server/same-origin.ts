/**
 * CSRF defence for every state-changing request, on top of the SameSite=Strict cookie: the request
 * must carry the console's custom header (which a cross-site page cannot send without a CORS
 * preflight the console never grants) and come from the console's own origin.
 */
import type { MiddlewareHandler } from "hono";
import { CSRF_HEADER, CSRF_HEADER_VALUE } from "../shared/protocol.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type CsrfRefusal = "missing_header" | "foreign_origin" | "cross_site";

/** Null when the request may go on, else why it may not. */
export function csrfRefusal(request: Request, ownOrigin: string): CsrfRefusal | null {
  if (SAFE_METHODS.has(request.method)) return null;
  if (request.headers.get(CSRF_HEADER) !== CSRF_HEADER_VALUE) return "missing_header";
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin") return "cross_site";
  if (request.headers.get("origin") !== ownOrigin) return "foreign_origin";
  return null;
}

export interface SameOriginGuardOptions {
  /** The console's public origin; null = the origin of the request's own URL (its Host header). */
  publicOrigin: string | null;
  refuse: (reason: CsrfRefusal, c: Parameters<MiddlewareHandler>[0]) => Response | Promise<Response>;
}

export function sameOriginGuard(options: SameOriginGuardOptions): MiddlewareHandler {
  return async function sameOrigin(c, next) {
    const refusal = csrfRefusal(c.req.raw, options.publicOrigin ?? new URL(c.req.url).origin);
    if (refusal) return options.refuse(refusal, c);
    await next();
  };
}
