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

export const notFound = (what: string) => apiError("NOT_FOUND", `${what} not found`);
