/**
 * Whether a session, as stored, is accepted at `now`: the one rule behind the API's user callers,
 * its introspection answer and `auth.refresh`. The edge reads the same verdict through the cache
 * entries and introspection answers built from it (`edge-access.ts`).
 *
 * Order matters where several reasons apply: a wipe outranks everything (the device must learn it
 * even from an expired or deleted session), then sign-outs, then expiry.
 */
import type { SessionRejection } from "./errors.ts";
import type { SessionState } from "./session.ts";

/** The stored session fields the verdict depends on (a Postgres row has them all). */
export interface SessionStanding {
  state: SessionState;
  expiresAt: Date;
  deletedAt: Date | null;
  lastAuthenticatedAt: Date;
  lastConnectedAt: Date | null;
  generation: number;
}

/** The session's user. */
export interface AccountStanding {
  locked: boolean;
  deletedAt: Date | null;
}

export interface SessionAcceptanceInput {
  session: SessionStanding;
  user: AccountStanding;
  /** The tenant's `sessionIdleTimeoutSeconds`; null or absent = no idle timeout. */
  idleTimeoutSeconds?: number | null | undefined;
}

export type SessionAcceptance = { ok: true } | { ok: false; reason: SessionRejection };
export type CredentialAcceptance = { ok: true } | { ok: false; reason: SessionRejection | "invalid_token" };

/** The reason a signed-out session gives: RESET tells the device to wipe, anything else to sign in again. */
export function signedOutReason(state: SessionState): "session_reset" | "session_revoked" {
  return state === "RESET" ? "session_reset" : "session_revoked";
}

/**
 * When the session times out for idleness: `idleTimeoutSeconds` after it last connected (a refresh),
 * or after it signed in if it never has. Null when the tenant has no idle timeout.
 */
export function idleDeadline(session: Pick<SessionStanding, "lastAuthenticatedAt" | "lastConnectedAt">, idleTimeoutSeconds: number | null | undefined): Date | null {
  if (idleTimeoutSeconds === null || idleTimeoutSeconds === undefined) return null;
  const lastSeen = session.lastConnectedAt ?? session.lastAuthenticatedAt;
  return new Date(lastSeen.getTime() + idleTimeoutSeconds * 1000);
}

/**
 * @example
 * const verdict = checkSessionAcceptance({ session: row, user, idleTimeoutSeconds: settings.sessionIdleTimeoutSeconds }, now);
 * if (!verdict.ok) answer(verdict.reason); // session_revoked | session_reset | session_expired
 */
export function checkSessionAcceptance(input: SessionAcceptanceInput, now: Date): SessionAcceptance {
  const { session, user } = input;
  // Deleting a user wipes its devices (JourneyApps: "lock the user and wipe all app data").
  if (session.state === "RESET" || user.deletedAt) return { ok: false, reason: "session_reset" };
  if (session.deletedAt || session.state !== "ENROLLED" || user.locked) return { ok: false, reason: "session_revoked" };
  if (session.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "session_expired" };
  const idleEnd = idleDeadline(session, input.idleTimeoutSeconds);
  if (idleEnd && idleEnd.getTime() <= now.getTime()) return { ok: false, reason: "session_expired" };
  return { ok: true };
}

export type GenerationMatch = "current" | "older" | "newer";

/**
 * A credential carries the generation of the session it was issued in. Older means issued before
 * the session was signed out and enrolled again: revoked. Newer than what the reader knows means
 * the reader is stale (a cache) or the credential is not ours (an authoritative answer).
 */
export function compareGeneration(credentialGeneration: number, sessionGeneration: number): GenerationMatch {
  if (credentialGeneration === sessionGeneration) return "current";
  return credentialGeneration < sessionGeneration ? "older" : "newer";
}

/** `checkSessionAcceptance` for a credential (access or refresh token) of generation `credentialGeneration`. */
export function checkCredentialAcceptance(input: SessionAcceptanceInput, credentialGeneration: number, now: Date): CredentialAcceptance {
  const verdict = checkSessionAcceptance(input, now);
  if (!verdict.ok) return verdict;
  switch (compareGeneration(credentialGeneration, input.session.generation)) {
    case "current":
      return verdict;
    case "older":
      return { ok: false, reason: "session_revoked" };
    case "newer":
      return { ok: false, reason: "invalid_token" };
  }
}
