/**
 * Request context. `createContextInner` takes plain values (easy to call from tests);
 * `createContext` reads them off a Fetch request. The context carries the public scope; the
 * procedure kinds in trpc.ts replace it with the scope of their caller.
 */
import type { AppDeps } from "./deps.ts";
import { clientIp } from "./lib/client-ip.ts";
import { requestCallers, type CallerKind } from "./services/callers.ts";
import type { PublicScope, RequestOrigin } from "./services/scope.ts";

export function createContextInner(deps: AppDeps, authorization: string | null, request: RequestOrigin, onCaller?: (kind: CallerKind) => void) {
  // One context per HTTP request (a whole tRPC batch shares it), so the caller is looked up once.
  const scope: PublicScope = { request };
  return { deps, scope, callers: requestCallers(deps, authorization, onCaller) };
}
export type Context = ReturnType<typeof createContextInner>;

/** `remoteAddress` comes from the server adapter; forwarded headers count only behind a trusted proxy. */
export function requestOrigin(deps: AppDeps, req: Request, remoteAddress: string | null): RequestOrigin {
  const country = deps.config.countryHeader ? req.headers.get(deps.config.countryHeader) : null;
  return {
    ip: clientIp(req.headers, remoteAddress, deps.config.trustProxy),
    userAgent: req.headers.get("user-agent"),
    countryCode: country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : null,
  };
}

export function createContext(deps: AppDeps, req: Request, remoteAddress: string | null, onCaller?: (kind: CallerKind) => void): Context {
  return createContextInner(deps, req.headers.get("authorization"), requestOrigin(deps, req, remoteAddress), onCaller);
}
