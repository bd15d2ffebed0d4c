/**
 * The session half of the edge's check, after the token is verified: I/O around core's
 * `decideEdgeAccess`. The cache entry decides when it can; otherwise the API does. Fails closed:
 * when neither can answer, the request gets a 503.
 */
import {
  REJECTION_DESCRIPTIONS,
  decideEdgeAccess,
  type AccessTokenClaims,
  type EdgeAccessDecision,
  type EdgeRejection,
  type EdgeSession,
  type SessionEvidence,
} from "@sesame/core";
import { CacheUnavailableError, type SessionCacheStore } from "@sesame/cache";
import type { Introspect } from "./introspect.ts";

/** What handlers read as `c.var.session`: core builds it from the session's entry (`edgeSessionFromEntry`). */
export type { EdgeSession };

export type SessionCheck = { ok: true; session: EdgeSession } | { ok: false; rejection: EdgeRejection };

export type SessionCheckEvent =
  | { type: "cache_unavailable"; sessionId: string; error: unknown }
  /** The cache's entry answered (a miss is an `introspection`). */
  | { type: "session_cache_hit"; sessionId: string }
  | { type: "introspection"; sessionId: string }
  | { type: "introspection_unavailable"; sessionId: string; error: unknown };

export interface SessionCheckDeps {
  store: SessionCacheStore;
  introspect: Introspect;
  /** Seconds sent in `Retry-After` when nobody can answer. */
  retryAfterSeconds: number;
  onEvent?: (event: SessionCheckEvent) => void;
}

export async function checkSession(claims: AccessTokenClaims, deps: SessionCheckDeps, now: Date): Promise<SessionCheck> {
  let evidence: SessionEvidence = { source: "none" };
  try {
    const entry = await deps.store.get(claims.sid);
    if (entry) evidence = { source: "cache", entry };
  } catch (error) {
    if (!(error instanceof CacheUnavailableError)) throw error;
    deps.onEvent?.({ type: "cache_unavailable", sessionId: claims.sid, error });
  }
  const fromCache = decideEdgeAccess(evidence, claims, now);
  if (fromCache.decision !== "ask_api") {
    deps.onEvent?.({ type: "session_cache_hit", sessionId: claims.sid });
    return outcome(fromCache);
  }

  deps.onEvent?.({ type: "introspection", sessionId: claims.sid });
  let answer;
  try {
    // `now` was taken before the cache read: only an API call sent after it may answer for us.
    answer = await deps.introspect(claims.sid, now.getTime());
  } catch (error) {
    deps.onEvent?.({ type: "introspection_unavailable", sessionId: claims.sid, error });
    return unavailable(deps.retryAfterSeconds);
  }
  const fromApi = decideEdgeAccess({ source: "introspection", answer }, claims, now);
  // An API answer never defers to the API; should it ever, refusing is the safe reading.
  if (fromApi.decision === "ask_api") return unavailable(deps.retryAfterSeconds);
  return outcome(fromApi);
}

function outcome(decision: Exclude<EdgeAccessDecision, { decision: "ask_api" }>): SessionCheck {
  if (decision.decision === "allow") return { ok: true, session: decision.session };
  return { ok: false, rejection: { status: 401, error: decision.reason, description: REJECTION_DESCRIPTIONS[decision.reason] } };
}

function unavailable(retryAfterSeconds: number): SessionCheck {
  return {
    ok: false,
    rejection: { status: 503, error: "temporarily_unavailable", description: "The session cannot be checked right now", retryAfterSeconds },
  };
}
