/**
 * tRPC, built once. Exports only the builders: the procedure kinds differ by caller (root key,
 * tenant API key, user access token, public), and each puts its caller's scope in `ctx.scope`
 * (services/scope.ts), which every service takes as its second argument.
 */
import { initTRPC } from "@trpc/server";
import { ZodError } from "zod";
import type { Context } from "./context.ts";
import { FieldError, RejectionReasonError, RetryAfterError, apiError } from "./lib/errors.ts";
import { findNulCharacter } from "./lib/find-nul.ts";
import { mapKnownFailure } from "./lib/known-failures.ts";
import type { AdminScope, RootScope, UserScope } from "./services/scope.ts";

const t = initTRPC.context<Context>().create({
  // Never send stack traces to callers, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    if (cause instanceof ZodError) {
      const first = cause.issues[0];
      // An unknown key of a strict object is the field at fault, not the object around it.
      const path = first ? [...first.path, ...(first.code === "unrecognized_keys" ? first.keys.slice(0, 1) : [])] : null;
      const field = path ? path.map(String).join(".") : null;
      return {
        ...shape,
        message: cause.issues.map((i) => `${i.path.map(String).join(".") || "input"}: ${i.message}`).join("; "),
        data: { ...shape.data, field, issues: cause.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) },
      };
    }
    if (cause instanceof FieldError) return { ...shape, data: { ...shape.data, field: cause.field } };
    if (cause instanceof RetryAfterError) return { ...shape, data: { ...shape.data, field: null, retryAfterSeconds: cause.retryAfterSeconds } };
    if (cause instanceof RejectionReasonError) return { ...shape, data: { ...shape.data, field: null, reason: cause.reason } };
    // Unexpected failures are logged by app.ts; callers get no driver or SQL text.
    if (error.code === "INTERNAL_SERVER_ERROR") return { ...shape, message: "Internal error", data: { ...shape.data, field: null } };
    return { ...shape, data: { ...shape.data, field: null } };
  },
});

export const router = t.router;
/** For the REST surfaces (rest/), which call the procedures in-process with the request's context. */
export const createCallerFactory = t.createCallerFactory;

/**
 * Every procedure starts here. NUL characters are refused in any string of the input before
 * anything reads it (one rule instead of one per field); failures that are not bugs (outages,
 * values Postgres refused) become 503 and 400 instead of 500.
 */
const baseProcedure = t.procedure.use(async ({ getRawInput, next }) => {
  const nulAt = findNulCharacter(await getRawInput());
  if (nulAt !== null) throw apiError("BAD_REQUEST", `${nulAt || "input"}: must not contain NUL characters`, nulAt || "input");
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR") {
    const mapped = mapKnownFailure(result.error);
    if (mapped) throw mapped;
  }
  return result;
});

export const publicProcedure = baseProcedure;

// The callers are memoised per HTTP request (context.ts): a batch authenticates once.
export const rootProcedure = baseProcedure.use(async ({ ctx, next }) => {
  const scope: RootScope = { actor: ctx.callers.root(), request: ctx.scope.request };
  return next({ ctx: { ...ctx, scope } });
});

export const adminProcedure = baseProcedure.use(async ({ ctx, next }) => {
  const { tenantId, actor } = await ctx.callers.admin();
  const scope: AdminScope = { tenantId, actor, request: ctx.scope.request };
  return next({ ctx: { ...ctx, scope } });
});

export const userProcedure = baseProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.callers.user();
  const scope: UserScope = { ...user, request: ctx.scope.request };
  return next({ ctx: { ...ctx, scope } });
});
