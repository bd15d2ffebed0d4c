/**
 * Errors on the REST surfaces (/v1 and /api/v4): one JSON body, built from the same tRPC error and
 * the same error formatter (trpc.ts) as the tRPC answer, with the HTTP status tRPC gives its code:
 *
 *   { "code": "BAD_REQUEST", "message": "wipe: is required…", "field": "wipe", "issues": [...] }
 *
 * `code` is the stable part (tRPC's error codes); `field` names the input at fault (or null);
 * `reason` says why a user call was refused (`session_reset`, …); 429 and 503 carry `Retry-After`
 * and `retryAfterSeconds`.
 */
import { TRPCError, getTRPCErrorShape } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { HTTPException } from "hono/http-exception";
import { z, ZodError, ZodRealError } from "zod";
import { mapKnownFailure } from "../lib/known-failures.ts";
import { appRouter } from "../routers/_app.ts";

export const restErrorSchema = z
  .object({
    code: z.string().meta({
      description:
        "Stable error code: BAD_REQUEST (400), UNAUTHORIZED (401), FORBIDDEN (403), NOT_FOUND (404), CONFLICT (409), PAYLOAD_TOO_LARGE (413), TOO_MANY_REQUESTS (429), SERVICE_UNAVAILABLE (503)",
      example: "BAD_REQUEST",
    }),
    message: z.string(),
    field: z.string().nullable().meta({ description: "The input at fault, dotted (e.g. `profile.note`, `operations.1.wipe`), or null" }),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional().meta({ description: "Every validation problem, when the input did not validate" }),
    reason: z.string().optional().meta({ description: "Why a user's credentials were refused: invalid_token, token_expired, session_revoked, session_reset, session_expired" }),
    retryAfterSeconds: z.number().int().optional().meta({ description: "With 429 and 503, as the Retry-After header" }),
  })
  .meta({ id: "Error" });
export type RestError = z.infer<typeof restErrorSchema>;

const CODE_OF_STATUS: Record<number, TRPCError["code"]> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
  503: "SERVICE_UNAVAILABLE",
};

/** Anything a REST handler can throw, as the tRPC error the procedures would have answered. */
export function asTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  // tRPC keeps a cause only if it is an Error: zod's thrown kind is.
  if (error instanceof ZodError) return new TRPCError({ code: "BAD_REQUEST", cause: error instanceof Error ? error : new ZodRealError((error as ZodError).issues) });
  // Hono's own refusals before a handler runs (malformed JSON body, …).
  if (error instanceof HTTPException && error.status < 500) {
    return new TRPCError({ code: CODE_OF_STATUS[error.status] ?? "BAD_REQUEST", message: error.message || "Bad request" });
  }
  return mapKnownFailure(error) ?? new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
}

export function restErrorBody(error: TRPCError): RestError {
  const shape = getTRPCErrorShape({ config: appRouter._def._config, error, type: "unknown", path: undefined, input: undefined, ctx: undefined });
  const data = shape.data as { field?: string | null; issues?: RestError["issues"]; reason?: string; retryAfterSeconds?: number };
  return {
    code: error.code,
    message: shape.message,
    field: data.field ?? null,
    ...(data.issues ? { issues: data.issues } : {}),
    ...(data.reason ? { reason: data.reason } : {}),
    ...(data.retryAfterSeconds ? { retryAfterSeconds: data.retryAfterSeconds } : {}),
  };
}

export function restErrorResponse(error: TRPCError, headers: Record<string, string> = {}): Response {
  const body = restErrorBody(error);
  const retry: Record<string, string> = body.retryAfterSeconds ? { "Retry-After": String(body.retryAfterSeconds) } : {};
  return Response.json(body, { status: getHTTPStatusCodeFromError(error), headers: { ...retry, ...headers } });
}

/** The paths answered with REST error bodies (the body limit and the outage handler in app.ts ask). */
export const REST_PATH_PREFIXES = ["/v1/", "/api/v4/"] as const;
export const isRestPath = (pathname: string) => REST_PATH_PREFIXES.some((prefix) => pathname.startsWith(prefix));
