/**
 * Session states and transitions (contract §3). Pure: a session, an action and `now` go in; the
 * changed session, or the reason the action is refused, comes out. No clock, no I/O.
 */

export const SESSION_STATES = ["ENROLLED", "LOCKED", "RESET"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** Why a session left ENROLLED; recorded on the event and in the cache tombstone. */
export const REVOCATION_CAUSES = [
  "lock",
  "wipe",
  "reauthenticate",
  "logout",
  "single_device_policy",
  "refresh_token_reuse",
  "password_change",
  "factors_reset",
  "user_deleted",
  "session_deleted",
] as const;
export type RevocationCause = (typeof REVOCATION_CAUSES)[number];

/** The part of a session that transitions depend on. */
export interface SessionStateFields {
  state: SessionState;
  expiresAt: Date;
  deletedAt: Date | null;
  signedOutAt: Date | null;
  version: number;
}

export type SessionAction =
  | { type: "lock"; cause: Exclude<RevocationCause, "wipe" | "user_deleted" | "session_deleted"> }
  | { type: "wipe"; cause: "wipe" | "user_deleted" }
  | { type: "delete" };

export type TransitionRefusal = "SESSION_DELETED" | "ALREADY_IN_STATE";

export type TransitionResult<S extends SessionStateFields> =
  | { ok: true; session: S }
  | { ok: false; reason: TransitionRefusal };

const STRENGTH: Record<SessionState, number> = { ENROLLED: 0, LOCKED: 1, RESET: 2 };

/**
 * Applies an action. States only ever get stronger (ENROLLED → LOCKED → RESET): locking a RESET
 * session keeps it RESET, because the device still has to wipe its data.
 *
 * @example
 * const r = transitionSession(session, { type: "wipe", cause: "wipe" }, now);
 * if (r.ok) save(r.session);
 */
export function transitionSession<S extends SessionStateFields>(
  session: S,
  action: SessionAction,
  now: Date,
): TransitionResult<S> {
  if (session.deletedAt) return { ok: false, reason: "SESSION_DELETED" };
  if (action.type === "delete") {
    return {
      ok: true,
      session: {
        ...session,
        deletedAt: now,
        signedOutAt: session.signedOutAt ?? now,
        version: session.version + 1,
      },
    };
  }
  const target: SessionState = action.type === "wipe" ? "RESET" : "LOCKED";
  if (STRENGTH[session.state] >= STRENGTH[target]) return { ok: false, reason: "ALREADY_IN_STATE" };
  return {
    ok: true,
    session: {
      ...session,
      state: target,
      signedOutAt: session.signedOutAt ?? now,
      version: session.version + 1,
    },
  };
}
