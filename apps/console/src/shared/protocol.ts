/**
 * What the console's server and its SPA agree on: paths, the anti-CSRF header, and the session
 * shapes of `/console/api/session`. Plain types and constants only, so both sides import it.
 */

/** The SPA's tRPC calls go here; the server forwards them to the API's `/trpc`. */
export const CONSOLE_TRPC_PATH = "/console/trpc";
export const CONSOLE_SESSION_PATH = "/console/api/session";

/**
 * Every state-changing request must carry this header. A cross-site page cannot add a custom header
 * without a CORS preflight, which the console never grants.
 */
export const CSRF_HEADER = "x-sesame-console";
export const CSRF_HEADER_VALUE = "1";

export type ConsoleRole = "root" | "operator";

/** What the SPA may know about its session; never the key. */
export interface ConsoleSessionInfo {
  role: ConsoleRole;
  /** The operator's tenant; null for the root key. */
  tenant: { id: string; code: string; name: string } | null;
  signedInAt: string;
  /** When the session ends if nothing else happens (idle timeout, capped by the absolute lifetime). */
  expiresAt: string;
}

/** Why a console session is not (or no longer) there. */
export type SessionEndReason =
  /** No cookie: never signed in, or signed out. */
  | "signed_out"
  /** The cookie named a session that timed out (idle or absolute lifetime) or that the server no longer holds. */
  | "session_expired"
  /** The API refused the session's key (revoked, or the root key changed); the server ended the session. */
  | "key_rejected";

export type SessionStatus = { session: ConsoleSessionInfo } | { session: null; reason: SessionEndReason; message: string };

/** `POST /console/api/session` failures; `field` names the input at fault. */
export interface SignInError {
  error: "invalid_input" | "invalid_key" | "api_unreachable" | "api_error" | "csrf";
  message: string;
  field: "key" | null;
}

/** Extra `data` the console's server puts on tRPC errors it answers itself. */
export interface ConsoleErrorData {
  code: string;
  httpStatus: number;
  /** Set when the console's session ended or was missing. */
  reason?: SessionEndReason | "api_unreachable" | "procedure_not_allowed" | "csrf" | "too_large";
}

export const END_MESSAGES: Record<SessionEndReason, string> = {
  signed_out: "You are signed out. Sign in with a tenant API key or the root key.",
  session_expired: "Your console session expired. Sign in again with your key; what you typed on the page is kept.",
  key_rejected:
    "The API no longer accepts the key this session signed in with (it was revoked, or the root key changed). Sign in with a valid key; what you typed on the page is kept.",
};
