/**
 * `auth.*`: sign-in (public) and the signed-in user's own account (user). Credentials travel only
 * in POST bodies (mutations) and the Authorization header, never in URLs.
 */
import {
  clientInfoSchema,
  deviceReportSchema,
  deviceReportedSchema,
  emailVerificationSentSchema,
  emailVerifiedSchema,
  meSchema,
  mfaConfirmedSchema,
  mfaStatusSchema,
  passwordResetRequestedSchema,
  recoveryCodesSchema,
  revocationSchema,
  sessionRevocationSchema,
  sessionSchema,
  sessionTokensSchema,
  signInResultSchema,
  totpEnrollmentSchema,
} from "@sesame/core";
import { z } from "zod";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../lib/passwords.ts";
import { changeOwnPassword } from "../services/auth/change-password.ts";
import { requestOwnEmailVerification, requestPasswordReset, resetPassword, verifyEmail } from "../services/auth/email-links.ts";
import { enrollWithCode } from "../services/auth/enroll.ts";
import { loginWithPassword } from "../services/auth/login.ts";
import { getMe, listOwnSessions, logout, revokeOtherSessions, revokeOwnSession } from "../services/auth/own-sessions.ts";
import { refreshSession } from "../services/auth/refresh.ts";
import { reportDevice } from "../services/auth/report-device.ts";
import type { Context } from "../context.ts";
import { confirmTotp, disableTotp, enrollTotp, mfaStatus, regenerateRecoveryCodes, verifyChallenge, verifyFactor, type FactorSubject } from "../services/mfa/factors.ts";
import type { PublicScope } from "../services/scope.ts";
import { publicProcedure, router, userProcedure } from "../trpc.ts";
import { oauthRouter } from "./oauth.ts";
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

/** A TOTP code (6 digits) or, where accepted, a recovery code (`XXXXX-XXXXX`). */
const factorCode = z.string().trim().min(6).max(32);
const challengeToken = z.string().min(1).max(256);
export const mfaEnrollInput = z.object({ challengeToken: challengeToken.optional() }).strict().optional();
export const mfaConfirmInput = z.object({ code: factorCode, challengeToken: challengeToken.optional() }).strict();
export const mfaVerifyInput = z.object({ challengeToken, code: factorCode }).strict();
export const factorCodeInput = z.object({ code: factorCode }).strict();

/**
 * Enrol and confirm are for a signed-in user (access token) or, with `challengeToken`, for a
 * sign-in the tenant's policy holds until a first factor is enrolled.
 */
async function factorSubject(ctx: Context & { scope: PublicScope }, token: string | undefined): Promise<FactorSubject> {
  if (token !== undefined) return { kind: "challenge", token, request: ctx.scope.request };
  const user = await ctx.callers.user();
  return { kind: "user", scope: { ...user, request: ctx.scope.request } };
}

export const mfaRouter = router({
  enroll: publicProcedure.input(mfaEnrollInput).output(totpEnrollmentSchema).mutation(async ({ ctx, input }) => enrollTotp(ctx.deps, await factorSubject(ctx, input?.challengeToken))),
  confirm: publicProcedure.input(mfaConfirmInput).output(mfaConfirmedSchema).mutation(async ({ ctx, input }) => confirmTotp(ctx.deps, await factorSubject(ctx, input.challengeToken), input)),
  /** Finishes a sign-in that answered a challenge: a TOTP code or a recovery code. */
  verify: publicProcedure.input(mfaVerifyInput).output(sessionTokensSchema).mutation(({ ctx, input }) => verifyChallenge(ctx.deps, ctx.scope, input)),
  status: userProcedure.output(mfaStatusSchema).query(({ ctx }) => mfaStatus(ctx.deps, ctx.scope)),
  disable: userProcedure.input(factorCodeInput).output(mfaStatusSchema).mutation(({ ctx, input }) => disableTotp(ctx.deps, ctx.scope, input)),
  regenerateRecoveryCodes: userProcedure.input(factorCodeInput).output(recoveryCodesSchema).mutation(({ ctx, input }) => regenerateRecoveryCodes(ctx.deps, ctx.scope, input)),
});
export const requestPasswordResetInput = z.object({ tenant: z.string().trim().min(1).max(64), identifier: z.string().trim().min(1).max(320) }).strict();
/** A link's token: 32 random bytes, base64url. Anything else cannot be one and costs no lookup. */
const linkToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be the token from the link");
export const resetPasswordInput = z.object({ token: linkToken, newPassword: z.string().min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`).max(PASSWORD_MAX_LENGTH) }).strict();
export const verifyEmailInput = z.object({ token: linkToken }).strict();

export const authRouter = router({
  login: publicProcedure.input(loginInput).output(signInResultSchema).mutation(({ ctx, input }) => loginWithPassword(ctx.deps, ctx.scope, input)),
  enroll: publicProcedure.input(enrollInput).output(sessionTokensSchema).mutation(({ ctx, input }) => enrollWithCode(ctx.deps, ctx.scope, input)),
  refresh: publicProcedure.input(refreshInput).output(sessionTokensSchema).mutation(({ ctx, input }) => refreshSession(ctx.deps, ctx.scope, input)),
  me: userProcedure.output(meSchema).query(({ ctx }) => getMe(ctx.deps, ctx.scope)),
  sessions: userProcedure.input(ownSessionsInput).output(z.array(sessionSchema)).query(({ ctx, input }) => listOwnSessions(ctx.deps, ctx.scope, input)),
  revokeSession: userProcedure.input(revokeOwnSessionInput).output(sessionRevocationSchema).mutation(({ ctx, input }) => revokeOwnSession(ctx.deps, ctx.scope, input)),
  revokeOtherSessions: userProcedure.output(revocationSchema).mutation(({ ctx }) => revokeOtherSessions(ctx.deps, ctx.scope)),
  logout: userProcedure.output(revocationSchema).mutation(({ ctx }) => logout(ctx.deps, ctx.scope)),
  changePassword: userProcedure.input(changePasswordInput).output(revocationSchema).mutation(({ ctx, input }) => changeOwnPassword(ctx.deps, ctx.scope, input)),
  mfa: mfaRouter,
  oauth: oauthRouter,
  /** Step-up: a code raises the current session's factors (the edge's requireFactors admits the next request). */
  verifyFactor: userProcedure.input(factorCodeInput).output(z.object({ session: sessionSchema })).mutation(({ ctx, input }) => verifyFactor(ctx.deps, ctx.scope, input)),
  /** Mails a one-time reset link when the identifier names a user with an email; always the same answer. */
  requestPasswordReset: publicProcedure.input(requestPasswordResetInput).output(passwordResetRequestedSchema).mutation(({ ctx, input }) => requestPasswordReset(ctx.deps, ctx.scope, input)),
  /** Redeems a reset link: new password, every session signed out (receipt). */
  resetPassword: publicProcedure.input(resetPasswordInput).output(revocationSchema).mutation(({ ctx, input }) => resetPassword(ctx.deps, ctx.scope, input)),
  verifyEmail: publicProcedure.input(verifyEmailInput).output(emailVerifiedSchema).mutation(({ ctx, input }) => verifyEmail(ctx.deps, ctx.scope, input)),
  /** Mails a verification link to the caller's own address. */
  requestEmailVerification: userProcedure.output(emailVerificationSentSchema).mutation(({ ctx }) => requestOwnEmailVerification(ctx.deps, ctx.scope)),
  /** The device reports its container, runtime, id, label and last full sync; marks the session connected. */
  reportDevice: userProcedure.input(deviceReportSchema).output(deviceReportedSchema).mutation(({ ctx, input }) => reportDevice(ctx.deps, ctx.scope, input)),
});
