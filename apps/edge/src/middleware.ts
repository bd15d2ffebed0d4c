/**
 * `sessionAuth`: the Hono middleware that admits a request only with a valid access token for an
 * active session, `requireGroups` to guard routes by the session's access groups, and
 * `requireFactors` by the MFA factors verified in the session.
 */
import type { Context, MiddlewareHandler } from "hono";
import { CLOCK_TOLERANCE_SECONDS, MFA_FACTORS, createAccessTokenVerifier, createTokenCache, parseBearerAuthorization, type AccessTokenClaims, type MfaFactor } from "@sesame/core";
import type { SessionCacheStore } from "@sesame/cache";
import { checkSession, type EdgeSession, type SessionCheckEvent } from "./check-session.ts";
import { createIntrospector } from "./introspect.ts";
import { createSeenRecorder } from "./seen.ts";
import { missingTokenException, rejectionException } from "./responses.ts";
import { KeySetUnavailableError, createJwksKeySet } from "./verify/jwks.ts";

export type { EdgeSession } from "./check-session.ts";

/** Hono variables set by `sessionAuth`: `c.var.session`. */
export type SessionVariables = { session: EdgeSession };

export type SessionAuthEvent =
  | SessionCheckEvent
  /** A signature was checked (token-cache miss). */
  | { type: "token_verified"; sessionId: string }
  /** A token was found already verified in the token cache. */
  | { type: "token_cache_hit" }
  /** The check's outcome: `allowed`, or the refusal's reason (`missing_token`, `session_revoked`, `temporarily_unavailable`, …). */
  | { type: "decision"; decision: string }
  | { type: "keys_changed" }
  /** A "seen" mark could not be written; the next one is tried a minute later. */
  | { type: "seen_mark_failed"; sessionId: string; error: unknown };

export interface SessionAuthOptions {
  /** Expected `iss`: the API's public URL. */
  issuer: string;
  /** Expected `aud`. */
  audience: string;
  /** The API's JWKS URL (`JWKS_PATH`). */
  jwksUrl: string;
  store: SessionCacheStore;
  introspection: {
    /** The API's introspection URL (`INTROSPECTION_PATH`). */
    url: string;
    secret: string;
    /** Default DEFAULT_INTROSPECTION_TIMEOUT_MS (800 ms). */
    timeoutMs?: number;
  };
  /** Clock skew on `exp`/`nbf`/`iat`, 0–60 s; default CLOCK_TOLERANCE_SECONDS (5). */
  leewaySeconds?: number;
  /** Verified tokens kept in memory; default 10 000. 0 disables the cache. */
  tokenCacheSize?: number;
  /** JWKS fetching; defaults: 800 ms timeout, 30 s cooldown between unknown-kid refetches, 5 min max age. */
  jwks?: { timeoutMs?: number; cooldownMs?: number; cacheMaxAgeMs?: number };
  /** `Retry-After` on 503; default 2 s. */
  retryAfterSeconds?: number;
  /** For JWKS and introspection calls; default the global fetch. */
  fetch?: typeof fetch;
  /** Observability: verifications, introspections, outages. Must not throw. */
  onEvent?: (event: SessionAuthEvent) => void;
  /** The clock every check reads; default the system clock. */
  now?: () => Date;
  /**
   * Note admitted sessions in the cache (at most once a minute each) so the API can move their
   * `lastConnectedAt`; default true.
   */
  recordSeen?: boolean;
}

/** Background work of a request (a key refresh, a seen mark) outlives its response. */
function keepAlive(c: Context, promise: Promise<void>): void {
  // On Workers, background work must be handed to waitUntil or it is cut off with the response.
  try {
    c.executionCtx.waitUntil(promise);
  } catch {
    // No execution context (Node): the promise runs on by itself.
  }
}

function requireUrl(name: string, value: string): void {
  try {
    new URL(value);
  } catch {
    throw new TypeError(`sessionAuth: ${name} must be an absolute URL, got "${value}"`);
  }
}

function validateOptions(options: SessionAuthOptions): void {
  if (!options.issuer) throw new TypeError("sessionAuth: issuer is required");
  if (!options.audience) throw new TypeError("sessionAuth: audience is required");
  requireUrl("jwksUrl", options.jwksUrl);
  requireUrl("introspection.url", options.introspection?.url);
  if (!options.introspection.secret) throw new TypeError("sessionAuth: introspection.secret is required");
  if (typeof options.store?.get !== "function") throw new TypeError("sessionAuth: store must be a SessionCacheStore");
  const leeway = options.leewaySeconds ?? CLOCK_TOLERANCE_SECONDS;
  if (!Number.isInteger(leeway) || leeway < 0 || leeway > 60) throw new TypeError("sessionAuth: leewaySeconds must be an integer from 0 to 60");
  const size = options.tokenCacheSize ?? 10_000;
  if (!Number.isInteger(size) || size < 0) throw new TypeError("sessionAuth: tokenCacheSize must be a non-negative integer");
}

/**
 * @example
 * const app = new Hono<{ Variables: SessionVariables }>();
 * app.use("/api/*", sessionAuth({ issuer, audience: "sesame", jwksUrl, store, introspection: { url, secret } }));
 * app.get("/api/me", (c) => c.json(c.var.session));
 * app.get("/api/admin", requireGroups("admin"), (c) => c.text("hi"));
 */
export function sessionAuth(options: SessionAuthOptions): MiddlewareHandler<{ Variables: SessionVariables }> {
  validateOptions(options);
  const leewaySeconds = options.leewaySeconds ?? CLOCK_TOLERANCE_SECONDS;
  const tokenCacheSize = options.tokenCacheSize ?? 10_000;
  const onEvent = options.onEvent;
  const clock = options.now ?? (() => new Date());
  const decided = (decision: string) => onEvent?.({ type: "decision", decision });
  /** Reports the refusal's reason; returns the exception to throw. */
  const refused = <E extends Error>(reason: string, exception: E): E => {
    decided(reason);
    return exception;
  };
  const tokenCache = tokenCacheSize > 0 ? createTokenCache({ max: tokenCacheSize, clockToleranceSeconds: leewaySeconds }) : undefined;
  let keysGeneration = 0;
  const keySet = createJwksKeySet({
    url: options.jwksUrl,
    ...options.jwks,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onChange() {
      // A withdrawn key must stop vouching for tokens at once: everything is re-verified.
      keysGeneration += 1;
      tokenCache?.clear();
      onEvent?.({ type: "keys_changed" });
    },
  });
  const verify = createAccessTokenVerifier({
    issuer: options.issuer,
    audience: options.audience,
    getKey: keySet.getKey,
    clockToleranceSeconds: leewaySeconds,
    isKeySetUnavailable: (error) => error instanceof KeySetUnavailableError,
  });
  const introspect = createIntrospector({
    url: options.introspection.url,
    secret: options.introspection.secret,
    ...(options.introspection.timeoutMs ? { timeoutMs: options.introspection.timeoutMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    now: clock,
  });
  const sessionDeps = {
    store: options.store,
    introspect,
    retryAfterSeconds: options.retryAfterSeconds ?? 2,
    ...(onEvent ? { onEvent } : {}),
  };
  const recordSeen =
    options.recordSeen === false ? undefined : createSeenRecorder(options.store, (sessionId, error) => onEvent?.({ type: "seen_mark_failed", sessionId, error }));
  const unavailable = (description: string) =>
    rejectionException({ status: 503, error: "temporarily_unavailable", description, retryAfterSeconds: sessionDeps.retryAfterSeconds });

  /** The claims of a token verified before, or undefined. Synchronous: a warm request awaits nothing for its token. */
  function cachedClaims(token: string, now: Date, c: Context): AccessTokenClaims | undefined {
    const cached = tokenCache?.get(token, now);
    if (!cached) return undefined;
    onEvent?.({ type: "token_cache_hit" });
    // Keys are otherwise only refetched by verifications; a warm token cache must still notice a withdrawn key.
    const refresh = keySet.refreshIfStale();
    if (refresh) keepAlive(c, refresh);
    return cached;
  }

  async function verifiedClaims(token: string, now: Date): Promise<AccessTokenClaims> {
    const generation = keysGeneration;
    const result = await verify(token, now);
    if (!result.ok) {
      if (result.reason === "unavailable") throw refused("temporarily_unavailable", unavailable(result.description));
      throw refused(result.reason, rejectionException({ status: 401, error: result.reason, description: result.description }));
    }
    onEvent?.({ type: "token_verified", sessionId: result.claims.sid });
    // A key change during the verification may have withdrawn the key it used: do not remember it.
    if (generation === keysGeneration) tokenCache?.set(token, result.claims);
    return result.claims;
  }

  return async function sessionAuthMiddleware(c, next) {
    const bearer = parseBearerAuthorization(c.req.header("authorization"));
    if (bearer.kind === "absent") throw refused("missing_token", missingTokenException());
    if (bearer.kind === "malformed") throw refused("invalid_token", rejectionException({ status: 401, error: "invalid_token", description: "The access token is not a signed JWT" }));
    const now = clock();
    const claims = cachedClaims(bearer.token, now, c) ?? (await verifiedClaims(bearer.token, now));
    const check = await checkSession(claims, sessionDeps, now);
    if (!check.ok) throw refused(check.rejection.error, rejectionException(check.rejection));
    decided("allowed");
    const seen = recordSeen?.(check.session.sessionId, now);
    if (seen) keepAlive(c, seen);
    c.set("session", check.session);
    await next();
  };
}

/**
 * Admits only sessions that have every one of `groups`; use after `sessionAuth`.
 * Groups come from the cache entry, so a change applies on the session's next request.
 */
export function requireGroups(...groups: string[]): MiddlewareHandler<{ Variables: SessionVariables }> {
  if (groups.length === 0 || groups.some((group) => typeof group !== "string" || group === "")) {
    throw new TypeError("requireGroups: give at least one non-empty group name");
  }
  return async function requireGroupsMiddleware(c, next) {
    const session = c.get("session") as EdgeSession | undefined;
    if (!session) throw new Error("requireGroups: use sessionAuth before requireGroups");
    const missing = groups.filter((group) => !session.groups.includes(group));
    if (missing.length > 0) {
      throw rejectionException({
        status: 403,
        error: "insufficient_scope",
        description: `This resource requires the group(s): ${missing.join(", ")}`,
        requiredGroups: groups,
      });
    }
    await next();
  };
}

/**
 * Admits only sessions that have verified every one of `factors` (e.g. `"totp"`); use after
 * `sessionAuth`. Others get 403 `factor_required` naming the factors: the client asks the user for a
 * code (`auth.verifyFactor`), and the session's next request passes — factors come from the cache
 * entry, which the step-up rewrites.
 *
 * @example
 * app.post("/api/payouts", requireFactors("totp"), handler);
 */
export function requireFactors(...factors: MfaFactor[]): MiddlewareHandler<{ Variables: SessionVariables }> {
  if (factors.length === 0 || factors.some((factor) => !(MFA_FACTORS as readonly string[]).includes(factor))) {
    throw new TypeError(`requireFactors: give at least one factor of: ${MFA_FACTORS.join(", ")}`);
  }
  return async function requireFactorsMiddleware(c, next) {
    const session = c.get("session") as EdgeSession | undefined;
    if (!session) throw new Error("requireFactors: use sessionAuth before requireFactors");
    const missing = factors.filter((factor) => !session.factors.includes(factor));
    if (missing.length > 0) {
      throw rejectionException({
        status: 403,
        error: "factor_required",
        description: `This resource requires the second factor(s): ${missing.join(", ")}`,
        requiredFactors: factors,
      });
    }
    await next();
  };
}
