/**
 * The request log of every Sesame HTTP service: one line per request with method, path, status,
 * duration and the kind of caller. Never the query string, headers, bodies or credentials: a path
 * is the route's address, and inputs never travel in URLs (README "Security"). Runs anywhere.
 */
import type { Context, MiddlewareHandler } from "hono";

export interface RequestLogLine {
  method: string;
  /** Without the query string. */
  path: string;
  status: number;
  /** Milliseconds from the middleware to the response, one decimal. */
  ms: number;
  /** Who called, as the service knows it after the request (e.g. `user`, `api_key`, `anonymous`). */
  caller: string;
}

/**
 * Mount once, first, so the line covers the whole request (errors included: Hono's `onError` has
 * made the response by the time `next()` returns).
 *
 * @example
 * app.use("*", requestLog(requestLineWriter(logger), (c) => c.var.session ? "user" : "anonymous")); // requestLineWriter: service-kit/node
 */
export function requestLog(write: (line: RequestLogLine) => void, callerKind: (c: Context) => string): MiddlewareHandler {
  return async function logRequest(c, next) {
    const started = performance.now();
    await next();
    write({
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      caller: callerKind(c),
    });
  };
}
