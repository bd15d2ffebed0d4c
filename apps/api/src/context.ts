/**
 * Request context. `createContextInner` takes plain values (easy to call from tests);
 * `createContext` reads them off a Fetch request.
 */
import type { AppDeps } from "./deps.ts";
import { clientIp } from "./lib/client-ip.ts";
import { requestCallers } from "./services/callers/request-callers.ts";

export interface RequestInfo {
  authorization: string | null;
  ip: string | null;
  userAgent: string | null;
  countryCode: string | null;
}

export function createContextInner(deps: AppDeps, request: RequestInfo) {
  // One context per HTTP request (a whole tRPC batch shares it), so the caller is looked up once.
  return { deps, request, callers: requestCallers(deps, request.authorization) };
}
export type Context = ReturnType<typeof createContextInner>;

/** `remoteAddress` comes from the server adapter; forwarded headers count only behind a trusted proxy. */
export function createContext(deps: AppDeps, req: Request, remoteAddress: string | null): Context {
  const country = deps.config.countryHeader ? req.headers.get(deps.config.countryHeader) : null;
  return createContextInner(deps, {
    authorization: req.headers.get("authorization"),
    ip: clientIp(req.headers, remoteAddress, deps.config.trustProxy),
    userAgent: req.headers.get("user-agent"),
    countryCode: country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : null,
  });
}
