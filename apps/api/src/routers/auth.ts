/**
 * `auth.*`: sign-in (public) and the signed-in user's own account (user). Credentials travel only
 * in POST bodies (mutations) and the Authorization header, never in URLs.
 */
import { clientInfoSchema, deviceReportSchema, deviceReportedSchema, meSchema, revocationSchema, sessionRevocationSchema, sessionSchema, sessionTokensSchema } from "@sesame/core";
import { z } from "zod";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../lib/passwords.ts";
import { changeOwnPassword } from "../services/auth/change-password.ts";
import { enrollWithCode } from "../services/auth/enroll.ts";
import { loginWithPassword } from "../services/auth/login.ts";
import { getMe, listOwnSessions, logout, revokeOtherSessions, revokeOwnSession } from "../services/auth/own-sessions.ts";
import { refreshSession } from "../services/auth/refresh.ts";
import { reportDevice } from "../services/auth/report-device.ts";
import { publicProcedure, router, userProcedure } from "../trpc.ts";
import { uuid } from "./inputs.ts";

/** Whatever was typed is checked against storage, so shape errors never hint at what exists. */
const typedPassword = z.string().min(1).max(1024);

export const loginInput = z
  .object({
    tenant: z.string().trim().min(1).max(64),
    identifier: z.string().trim().min(1).max(320),
    password: typedPassword,
    client: clientInfoSchema.optional(),
  })
  .strict();

export const enrollInput = z
  .object({
    enrollmentId: uuid.optional(),
    tenant: z.string().trim().min(1).max(64).optional(),
    // Exactly the digits: a malformed code is refused here and costs no guess.
    token: z.string().regex(/^\d{8}$/, "must be the 8-digit code"),
    client: clientInfoSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.enrollmentId === undefined && v.tenant === undefined) {
      ctx.addIssue({ code: "custom", path: ["tenant"], message: "give the tenant code (or the enrollmentId from the link) with the code" });
    }
  });

export const refreshInput = z.object({ refreshToken: z.string().min(1).max(256) }).strict();
export const ownSessionsInput = z.object({ includeInactive: z.boolean().optional() }).strict().optional();
export const revokeOwnSessionInput = z.object({ sessionId: uuid }).strict();
export const changePasswordInput = z
  .object({
    currentPassword: typedPassword,
    newPassword: z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH),
  })
  .strict();

export const authRouter = router({
  login: publicProcedure.input(loginInput).output(sessionTokensSchema).mutation(({ ctx, input }) => loginWithPassword(ctx.deps, ctx.scope, input)),
  enroll: publicProcedure.input(enrollInput).output(sessionTokensSchema).mutation(({ ctx, input }) => enrollWithCode(ctx.deps, ctx.scope, input)),
  refresh: publicProcedure.input(refreshInput).output(sessionTokensSchema).mutation(({ ctx, input }) => refreshSession(ctx.deps, ctx.scope, input)),
  me: userProcedure.output(meSchema).query(({ ctx }) => getMe(ctx.deps, ctx.scope)),
  sessions: userProcedure.input(ownSessionsInput).output(z.array(sessionSchema)).query(({ ctx, input }) => listOwnSessions(ctx.deps, ctx.scope, input)),
  revokeSession: userProcedure.input(revokeOwnSessionInput).output(sessionRevocationSchema).mutation(({ ctx, input }) => revokeOwnSession(ctx.deps, ctx.scope, input)),
  revokeOtherSessions: userProcedure.output(revocationSchema).mutation(({ ctx }) => revokeOtherSessions(ctx.deps, ctx.scope)),
  logout: userProcedure.output(revocationSchema).mutation(({ ctx }) => logout(ctx.deps, ctx.scope)),
  changePassword: userProcedure.input(changePasswordInput).output(revocationSchema).mutation(({ ctx, input }) => changeOwnPassword(ctx.deps, ctx.scope, input)),
  /** The device reports its container, runtime, id, label and last full sync; marks the session connected. */
  reportDevice: userProcedure.input(deviceReportSchema).output(deviceReportedSchema).mutation(({ ctx, input }) => reportDevice(ctx.deps, ctx.scope, input)),
});
