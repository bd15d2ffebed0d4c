/**
 * What each procedure answers (contract §5, "Shapes returned"), built from the entity schemas in
 * shapes.ts. The API sets them as tRPC outputs and the REST surface documents them; clients get
 * their types from here (or from the router).
 */
import { z } from "zod";
import { mfaChallengeSchema } from "./mfa.ts";
import { apiKeySchema, enrollmentCodeSchema, eventSchema, revocationReceiptSchema, sessionSchema, sessionTokensSchema, tenantSchema, userSchema } from "./shapes.ts";

export const createdApiKeySchema = z.object({ apiKey: apiKeySchema, key: z.string().meta({ description: "The secret, shown only here" }) }).meta({ id: "CreatedApiKey" });
export const createdTenantSchema = createdApiKeySchema.extend({ tenant: tenantSchema }).meta({ id: "CreatedTenant" });

/** `users.get`: the user with every live session, in any state. */
export const userWithSessionsSchema = userSchema.extend({ sessions: z.array(sessionSchema) }).meta({ id: "UserWithSessions" });
/** `users.update`: the receipt is there when a password was set (every session signed out). */
export const updatedUserSchema = userSchema.extend({ revocation: revocationReceiptSchema.optional() }).meta({ id: "UpdatedUser" });
/** `users.list`; each user carries `sessions` when `includeSessions` was asked. */
export const usersPageSchema = z
  .object({
    total: z.number().int(),
    count: z.number().int(),
    more: z.boolean(),
    objects: z.array(userSchema.extend({ sessions: z.array(sessionSchema).optional() })),
  })
  .meta({ id: "UsersPage" });

export const revocationSchema = z.object({ revocation: revocationReceiptSchema }).meta({ id: "Revocation" });
export const userRevocationSchema = z.object({ user: userSchema, revocation: revocationReceiptSchema }).meta({ id: "UserRevocation" });
export const sessionRevocationSchema = z.object({ session: sessionSchema, revocation: revocationReceiptSchema }).meta({ id: "SessionRevocation" });
export const sessionsRevocationSchema = z.object({ sessions: z.array(sessionSchema), revocation: revocationReceiptSchema }).meta({ id: "SessionsRevocation" });

/** `sessions.create`: the tokens, and the receipt of sessions the single-device policy signed out (or null). */
export const startedSessionSchema = sessionTokensSchema.extend({ revocation: revocationReceiptSchema.nullable() }).meta({ id: "StartedSession" });
export type StartedSession = z.infer<typeof startedSessionSchema>;

export const meSchema = z.object({ user: userSchema, session: sessionSchema }).meta({ id: "Me" });
export const deviceReportedSchema = z.object({ session: sessionSchema }).meta({ id: "DeviceReported" });

export const eventsPageSchema = z.object({ objects: z.array(eventSchema), nextCursor: z.string().nullable() }).meta({ id: "EventsPage" });

/** One operation's result in `batch.run`; `ABORTED`/`SKIPPED`: not applied because another one failed. */
export const batchResultSchema = z
  .union([
    z.object({
      ok: z.literal(true),
      result: z.union([userRevocationSchema, sessionRevocationSchema, enrollmentCodeSchema, userSchema]),
    }),
    z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  ])
  .meta({ id: "BatchResult" });
export type BatchResult = z.infer<typeof batchResultSchema>;
export const batchResultsSchema = z.object({ results: z.array(batchResultSchema) }).meta({ id: "BatchResults" });

/** `auth.login` (and finishing an OIDC sign-in): the session's tokens, or a second-factor challenge. */
export const signInResultSchema = z.union([sessionTokensSchema, mfaChallengeSchema]).meta({ id: "SignInResult" });
export type SignInResult = z.infer<typeof signInResultSchema>;
/** `auth.mfa.confirm`: the recovery codes (shown only here), and the tokens when it finished a sign-in. */
export const mfaConfirmedSchema = z
  .object({ recoveryCodes: z.array(z.string()).meta({ description: "Single-use codes, shown only here" }), tokens: sessionTokensSchema.nullable() })
  .meta({ id: "MfaConfirmed" });
export const recoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()) }).meta({ id: "RecoveryCodes" });
/**
 * One row's outcome in `users.import` (and each line of `POST /v1/users/import`): `created`,
 * `skipped` (a live user of the tenant already has this `externalId`; left unchanged) or `failed`
 * with the error and the row's field at fault.
 */
export const importRowResultSchema = z
  .object({
    index: z.number().int().meta({ description: "The row's position in the request (0-based; the line number − 1 when streamed)" }),
    externalId: z.string().nullable(),
    status: z.enum(["created", "skipped", "failed"]),
    userId: z.uuid().nullable(),
    error: z.object({ code: z.string(), message: z.string(), field: z.string().nullable() }).optional(),
  })
  .meta({ id: "ImportRowResult" });
export type ImportRowResult = z.infer<typeof importRowResultSchema>;
export const importSummarySchema = z.object({ created: z.number().int(), skipped: z.number().int(), failed: z.number().int() }).meta({ id: "ImportSummary" });
export const importResultsSchema = z.object({ results: z.array(importRowResultSchema), summary: importSummarySchema }).meta({ id: "ImportResults" });
export type ImportResults = z.infer<typeof importResultsSchema>;

/** `auth.requestPasswordReset`: the same answer whether or not an account matched. */
export const passwordResetRequestedSchema = z.object({ message: z.string() }).meta({ id: "PasswordResetRequested" });
/** `auth.verifyEmail`: the address now verified. */
export const emailVerifiedSchema = z.object({ email: z.string(), emailVerifiedAt: z.iso.datetime() }).meta({ id: "EmailVerified" });
/** `users.sendEmailVerification`, `auth.requestEmailVerification`: where the link went, and until when it works. */
export const emailVerificationSentSchema = z.object({ sentTo: z.string(), expiresAt: z.iso.datetime() }).meta({ id: "EmailVerificationSent" });
