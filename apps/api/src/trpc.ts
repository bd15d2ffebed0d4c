/**
 * tRPC, built once. Exports only the builders: the procedure kinds differ by caller
 * (root key, tenant API key, user access token, public).
 */
import { initTRPC } from "@trpc/server";
import { ZodError } from "zod";
import type { Context } from "./context.ts";
import { FieldError, RejectionReasonError, RetryAfterError } from "./lib/errors.ts";
import { authenticateAdmin, authenticateRoot, authenticateUser } from "./services/callers.ts";

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
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

export const rootProcedure = t.procedure.use(async ({ ctx, next }) => {
  const actor = authenticateRoot(ctx.deps, ctx.request.authorization);
  return next({ ctx: { ...ctx, actor } });
});

export const adminProcedure = t.procedure.use(async ({ ctx, next }) => {
  const admin = await authenticateAdmin(ctx.deps, ctx.request.authorization);
  return next({ ctx: { ...ctx, tenantId: admin.tenantId, actor: admin.actor } });
});

export const userProcedure = t.procedure.use(async ({ ctx, next }) => {
  const user = await authenticateUser(ctx.deps, ctx.request.authorization);
  return next({ ctx: { ...ctx, ...user } });
});
