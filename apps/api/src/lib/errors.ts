/** Maps expected failures to tRPC errors. `field` names the input at fault for BAD_REQUEST. */
import type { SesameErrorCode } from "@sesame/core";
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

/** Carried as the cause of TOO_MANY_REQUESTS; the error formatter exposes it as `data.retryAfterSeconds`. */
export class RetryAfterError extends Error {
  constructor(readonly retryAfterSeconds: number, message: string) {
    super(message);
    this.name = "RetryAfterError";
  }
}

/** TOO_MANY_REQUESTS with the wait in the message and in `data.retryAfterSeconds`. */
export function tooManyRequests(what: string, retryAfterSeconds: number): TRPCError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  const message = `${what}; try again in ${seconds} second${seconds === 1 ? "" : "s"}`;
  return new TRPCError({ code: "TOO_MANY_REQUESTS", message, cause: new RetryAfterError(seconds, message) });
}

export const notFound = (what: string) => apiError("NOT_FOUND", `${what} not found`);
