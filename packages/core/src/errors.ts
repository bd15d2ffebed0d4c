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

/**
 * Why a session is not accepted (contract §6, §7). `session_reset` is the device's signal to wipe
 * its local data; `session_revoked` means sign in again, data kept.
 */
export const SESSION_REJECTIONS = ["session_revoked", "session_reset", "session_expired"] as const;
export type SessionRejection = (typeof SESSION_REJECTIONS)[number];

/** Reasons the edge names in a 401 body, and the API in `data.reason` of an UNAUTHORIZED. */
export const EDGE_TOKEN_REJECTIONS = ["invalid_token", "token_expired", ...SESSION_REJECTIONS] as const;
export type EdgeTokenRejection = (typeof EDGE_TOKEN_REJECTIONS)[number];

/** One wording per reason, so the edge's 401 and the API's error say the same thing. */
export const REJECTION_DESCRIPTIONS: Record<EdgeTokenRejection, string> = {
  invalid_token: "The access token is not valid for its session",
  token_expired: "The access token has expired",
  session_revoked: "The session has been signed out",
  session_reset: "The session has been reset: the device must wipe its local data",
  session_expired: "The session has expired",
};

export type EdgeRejection =
  | { status: 401; error: EdgeTokenRejection; description: string }
  | { status: 403; error: "insufficient_scope"; description: string; requiredGroups: string[] }
  /** `requireFactors`: the session has not verified the factor(s); a step-up (`auth.verifyFactor`) admits the next request. */
  | { status: 403; error: "factor_required"; description: string; requiredFactors: string[] }
  | { status: 503; error: "temporarily_unavailable"; description: string; retryAfterSeconds: number };
