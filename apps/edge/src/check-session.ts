/**
 * The session half of the edge's check, after the token is verified: the cache entry decides when
 * it can; otherwise the API does. Fails closed: when neither can answer, the request gets a 503.
 */
import { evaluateCacheEntry, type AccessTokenClaims, type CacheEntry, type EdgeRejection } from "@sesame/core";
import { CacheUnavailableError, type SessionCacheStore } from "@sesame/cache";
import type { Introspect } from "./introspect.ts";

/** What handlers read as `c.var.session`. */
export interface EdgeSession {
  userId: string;
  sessionId: string;
  tenantId: string;
  groups: string[];
}

export type SessionCheck = { ok: true; session: EdgeSession } | { ok: false; rejection: EdgeRejection };

export type SessionCheckEvent =
  | { type: "cache_unavailable"; sessionId: string; error: unknown }
  | { type: "introspection"; sessionId: string }
  | { type: "introspection_unavailable"; sessionId: string; error: unknown };

export interface SessionCheckDeps {
  store: SessionCacheStore;
  introspect: Introspect;
  /** Seconds sent in `Retry-After` when nobody can answer. */
  retryAfterSeconds: number;
  onEvent?: (event: SessionCheckEvent) => void;
}

const revoked = (description: string): SessionCheck => ({ ok: false, rejection: { status: 401, error: "session_revoked", description } });
const expired = (description: string): SessionCheck => ({ ok: false, rejection: { status: 401, error: "session_expired", description } });
const mismatch: SessionCheck = {
  ok: false,
  rejection: { status: 401, error: "invalid_token", description: "The access token does not match its session" },
};

export async function checkSession(claims: AccessTokenClaims, deps: SessionCheckDeps, now: Date): Promise<SessionCheck> {
  const identity = { userId: claims.sub, sessionId: claims.sid, tenantId: claims.tid };
  let entry: CacheEntry | null | undefined;
  try {
    entry = await deps.store.get(claims.sid);
  } catch (error) {
    if (!(error instanceof CacheUnavailableError)) throw error;
    deps.onEvent?.({ type: "cache_unavailable", sessionId: claims.sid, error });
  }

  if (entry !== undefined) {
    if (entry?.kind === "active" && (entry.uid !== claims.sub || entry.tid !== claims.tid)) return mismatch;
    const decision = evaluateCacheEntry(entry, claims.gen, now);
    if (decision.decision === "allow") return { ok: true, session: { ...identity, groups: decision.groups } };
    if (decision.decision === "reject") {
      return decision.reason === "session_expired" ? expired("The session has expired") : revoked("The session has been signed out");
    }
  }

  deps.onEvent?.({ type: "introspection", sessionId: claims.sid });
  let answer;
  try {
    // `now` was taken before the cache read: only an API call sent after it may answer for us.
    answer = await deps.introspect(claims.sid, now.getTime());
  } catch (error) {
    deps.onEvent?.({ type: "introspection_unavailable", sessionId: claims.sid, error });
    return {
      ok: false,
      rejection: {
        status: 503,
        error: "temporarily_unavailable",
        description: "The session cannot be checked right now",
        retryAfterSeconds: deps.retryAfterSeconds,
      },
    };
  }

  if (!answer.active) {
    if (answer.reason === "session_expired") return expired("The session has expired");
    return revoked(answer.reason === "session_not_found" ? "The session does not exist" : "The session has been signed out");
  }
  if (answer.sid !== claims.sid || answer.sub !== claims.sub || answer.tid !== claims.tid) return mismatch;
  // A token from an older generation was issued before the session was signed out and enrolled again.
  if (claims.gen < answer.gen) return revoked("The session has been signed out");
  if (claims.gen > answer.gen) return mismatch;
  if (answer.expiresAt <= now.getTime()) return expired("The session has expired");
  return { ok: true, session: { ...identity, groups: answer.groups } };
}
