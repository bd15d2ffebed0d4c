/**
 * Error reasons shared by the packages. Expected outcomes are values, not exceptions; the API maps
 * `SesameErrorCode` to tRPC codes and the edge maps `EdgeRejection` to HTTP answers.
 */

export const SESAME_ERROR_CODES = {
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
} as const;
export type SesameErrorCode = keyof typeof SESAME_ERROR_CODES;

/** Reasons the edge names in a 401 body. */
export const EDGE_TOKEN_REJECTIONS = ["invalid_token", "token_expired", "session_revoked", "session_expired"] as const;
export type EdgeTokenRejection = (typeof EDGE_TOKEN_REJECTIONS)[number];

export type EdgeRejection =
  | { status: 401; error: EdgeTokenRejection; description: string }
  | { status: 403; error: "insufficient_scope"; description: string; requiredGroups: string[] }
  | { status: 503; error: "temporarily_unavailable"; description: string; retryAfterSeconds: number };

/** A failed result carrying a machine-readable code and a message for people. */
export interface Failure<C extends string = SesameErrorCode> {
  ok: false;
  code: C;
  message: string;
  /** For BAD_REQUEST: the input field at fault, as a dotted path. */
  field?: string;
}
export type Result<T, C extends string = SesameErrorCode> = { ok: true; value: T } | Failure<C>;

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
export function fail<C extends string>(code: C, message: string, field?: string): Failure<C> {
  return field === undefined ? { ok: false, code, message } : { ok: false, code, message, field };
}
