/** Maps expected failures to tRPC errors. `field` names the input at fault for BAD_REQUEST. */
import { REJECTION_DESCRIPTIONS, type EdgeTokenRejection, type SesameErrorCode } from "@sesame/core";
import { TRPCError } from "@trpc/server";

export class FieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = "FieldError";
  }
}

export function apiError(code: SesameErrorCode, message: string, field?: string): TRPCError {
  return new TRPCError({ code, message, cause: field === undefined ? undefined : new FieldError(field, message) });
}

/**
 * Carried as the cause of TOO_MANY_REQUESTS and SERVICE_UNAVAILABLE; the error formatter exposes it
 * as `data.retryAfterSeconds` and app.ts as the `Retry-After` header. Its own `cause`, if any, is the
 * failure behind it, for the logs only.
 */
export class RetryAfterError extends Error {
  constructor(readonly retryAfterSeconds: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RetryAfterError";
  }
}

/** TOO_MANY_REQUESTS with the wait in the message and in `data.retryAfterSeconds`. */
export function tooManyRequests(what: string, retryAfterSeconds: number): TRPCError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  const message = `${what}; try again in ${seconds} second${seconds === 1 ? "" : "s"}`;
  return new TRPCError({ code: "TOO_MANY_REQUESTS", message, cause: new RetryAfterError(seconds, message) });
}

/** A backing service the API cannot work without. */
export type Dependency = "database" | "cache" | "identity provider";

/** How long a caller should wait after an outage answer: long enough not to hammer a restarting server. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * SERVICE_UNAVAILABLE (HTTP 503) with `Retry-After`: an outage, not the caller's fault. A write
 * that failed so was rolled back with its transaction, so the caller can simply retry.
 */
export function serviceUnavailable(dependency: Dependency, cause?: unknown): TRPCError {
  const seconds = OUTAGE_RETRY_AFTER_SECONDS;
  const message = `Service temporarily unavailable (${dependency}); try again in ${seconds} seconds`;
  return new TRPCError({ code: "SERVICE_UNAVAILABLE", message, cause: new RetryAfterError(seconds, message, { cause }) });
}

export const notFound = (what: string) => apiError("NOT_FOUND", `${what} not found`);

/**
 * Carried as the cause of an UNAUTHORIZED that names why, in the edge's words; the error formatter
 * exposes it as `data.reason`. `session_reset` is how a device learns it must wipe its data.
 */
export class RejectionReasonError extends Error {
  constructor(readonly reason: EdgeTokenRejection, message: string) {
    super(message);
    this.name = "RejectionReasonError";
  }
}

/** UNAUTHORIZED with `data.reason`; the message defaults to the edge's wording for the reason. */
export function unauthorizedBecause(reason: EdgeTokenRejection, message = REJECTION_DESCRIPTIONS[reason]): TRPCError {
  return new TRPCError({ code: "UNAUTHORIZED", message, cause: new RejectionReasonError(reason, message) });
}
