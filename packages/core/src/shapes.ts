/**
 * Public shapes (contract §3 and §5): what the API returns and clients rely on. Stored rows live in
 * the API and never leave it; these carry no hash and no secret. Times are ISO-8601 strings.
 */
import { z } from "zod";
import { enrollmentUrlSchema } from "./enrollment-url.ts";
import { MFA_POLICIES } from "./mfa.ts";
import { SESSION_STATES } from "./session.ts";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "./tokens.ts";

export const TENANT_CODE_PATTERN = /^[A-Z0-9]{2,16}$/;
export const DEFAULT_SESSION_TTL_SECONDS = 30 * 24 * 60 * 60;
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 900;
/**
 * Shortest idle timeout: twice the longest access token. A client in use refreshes at least once per
 * access-token lifetime (refreshes are what mark a session as connected), so it never times out.
 */
export const MIN_SESSION_IDLE_TIMEOUT_SECONDS = 2 * MAX_ACCESS_TOKEN_TTL_SECONDS;

export const tenantSettingsSchema = z.object({
  multipleDevicesPerUser: z.boolean().default(true),
  sessionTtlSeconds: z.number().int().min(60).max(366 * 24 * 3600).default(DEFAULT_SESSION_TTL_SECONDS),
  accessTokenTtlSeconds: z.number().int().min(30).max(900).default(DEFAULT_ACCESS_TOKEN_TTL_SECONDS),
  enrollmentUrl: enrollmentUrlSchema.nullable().default(null),
  /** The page that takes a password-reset link: the mail links to it with `#token=…` (same URL rules as enrollmentUrl). */
  passwordResetUrl: enrollmentUrlSchema.nullable().default(null),
  /** The page that takes an email-verification link, likewise. */
  emailVerificationUrl: enrollmentUrlSchema.nullable().default(null),
  /** Sessions not connected (refreshed) for this long are expired; null = no idle timeout. */
  sessionIdleTimeoutSeconds: z.number().int().min(MIN_SESSION_IDLE_TIMEOUT_SECONDS).max(366 * 24 * 3600).nullable().default(null),
  /**
   * Second factors (README "MFA"): `off` — no enrolment, sign-in never asks; `optional` — users may
   * enrol, and those who did are asked at sign-in; `required` — users in `mfaRequiredGroups` (every
   * user when it is empty) must pass a factor, enrolling during sign-in if they have none.
   */
  mfaPolicy: z.enum(MFA_POLICIES).default("optional"),
  mfaRequiredGroups: z.array(z.string().min(1).max(128)).max(100).default([]),
});
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

/**
 * The public shapes as zod schemas: the API validates what it returns against them (tRPC
 * `.output`), the REST surface documents them in its OpenAPI spec, and the TypeScript types are
 * inferred from them, so each shape is written once. They describe what is returned, not the rules
 * for accepting input (a value stored under an older rule must still be readable).
 */
const time = z.iso.datetime();
const id = z.uuid();

/** Settings as returned; the input rules are `tenantSettingsSchema`. */
export const publicTenantSettingsSchema = z
  .object({
    multipleDevicesPerUser: z.boolean(),
    sessionTtlSeconds: z.number().int(),
    accessTokenTtlSeconds: z.number().int(),
    enrollmentUrl: z.string().nullable(),
    // Rows stored before these settings existed have no key: null.
    passwordResetUrl: z.string().nullable().default(null),
    emailVerificationUrl: z.string().nullable().default(null),
    // Rows stored before the setting existed have no key: off.
    sessionIdleTimeoutSeconds: z.number().int().nullable().default(null),
    mfaPolicy: z.enum(MFA_POLICIES).default("optional"),
    mfaRequiredGroups: z.array(z.string()).default([]),
  })
  .meta({ id: "TenantSettings" });

export const tenantSchema = z
  .object({ id, code: z.string(), name: z.string(), settings: publicTenantSettingsSchema, createdAt: time, updatedAt: time })
  .meta({ id: "Tenant" });
export type Tenant = z.infer<typeof tenantSchema>;

export const apiKeySchema = z
  .object({ id, name: z.string(), createdAt: time, lastUsedAt: time.nullable(), revokedAt: time.nullable() })
  .meta({ id: "ApiKey" });
export type ApiKey = z.infer<typeof apiKeySchema>;

export const userStatusSchema = z.enum(["pendingJoin", "active"]);
export type UserStatus = z.infer<typeof userStatusSchema>;

const jsonRecord = z.record(z.string(), z.unknown());

export const userSchema = z
  .object({
    id,
    tenantId: id,
    username: z.string(),
    email: z.string().nullable(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    status: userStatusSchema,
    locked: z.boolean(),
    lockedAt: time.nullable(),
    profile: jsonRecord,
    groups: z.array(z.string()),
    config: jsonRecord,
    createdAt: time,
    updatedAt: time,
    deletedAt: time.nullable(),
    /** Has a session the edge accepts now. */
    enrolled: z.boolean(),
    lastConnectedAt: time.nullable(),
    /** The user's id in the system it was imported from (`users.import`), else null. */
    externalId: z.string().nullable(),
    /** When the user proved they receive mail at `email`; null while unverified. */
    emailVerifiedAt: time.nullable(),
  })
  .meta({ id: "User" });
export type User = z.infer<typeof userSchema>;

/** Client information a caller reports when a session starts. */
export const clientInfoSchema = z.object({
  userAgent: z.string().max(1024).optional(),
  ip: z.string().max(64).optional(),
  device: z.object({ id: z.string().min(1).max(200) }).optional(),
  label: z.string().max(200).optional(),
  container: z
    .object({ version: z.string().max(64).optional(), bundleId: z.string().max(200).optional(), platform: z.string().max(64).optional() })
    .optional(),
  runtime: z.object({ version: z.string().max(64).optional() }).optional(),
});
export type ClientInfo = z.infer<typeof clientInfoSchema>;

/**
 * What a device reports about itself on its own session (`auth.reportDevice`), JourneyApps' device
 * fields: each one given replaces the stored value, those left out stay.
 */
export const deviceReportSchema = clientInfoSchema
  .pick({ device: true, label: true, container: true, runtime: true })
  .extend({ syncStatus: z.object({ lastFullSync: z.iso.datetime({ offset: true }) }).strict().optional() })
  .strict();
export type DeviceReport = z.infer<typeof deviceReportSchema>;

export const providerTokensSchema = z
  .object({ accessToken: z.string().nullable(), refreshToken: z.string().nullable(), expiresAt: time.nullable() })
  .meta({ id: "ProviderTokens" });
export type ProviderTokens = z.infer<typeof providerTokensSchema>;

const nullableString = z.string().nullable();

export const sessionSchema = z
  .object({
    id,
    tenantId: id,
    userId: id,
    state: z.enum(SESSION_STATES),
    accessGroups: z.array(z.string()),
    provider: z.string(),
    providerUid: nullableString,
    /** Only in admin `sessions.get`. */
    providerTokens: providerTokensSchema.optional(),
    ip: nullableString,
    clientType: nullableString,
    clientName: nullableString,
    clientVersion: nullableString,
    clientEngine: nullableString,
    clientEngineVersion: nullableString,
    osName: nullableString,
    osVersion: nullableString,
    deviceName: nullableString,
    deviceBrand: nullableString,
    deviceModel: nullableString,
    countryCode: nullableString,
    countryName: nullableString,
    device: z.object({ id: nullableString }),
    label: nullableString,
    container: z.object({ version: nullableString, bundleId: nullableString, platform: nullableString }),
    runtime: z.object({ version: nullableString }),
    syncStatus: z.object({ lastFullSync: time.nullable() }),
    factors: z.array(z.string()),
    mfaUpdatedAt: time.nullable(),
    createdAt: time,
    updatedAt: time,
    expiresAt: time,
    lastAuthenticatedAt: time,
    signedOutAt: time.nullable(),
    lastConnectedAt: time.nullable(),
    deletedAt: time.nullable(),
    version: z.number().int(),
    /** The caller's own session. */
    current: z.boolean(),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof sessionSchema>;

/** Returned by every revoking mutation (contract §6). `effectiveAt` is null while the cache write is pending. */
export const revocationReceiptSchema = z
  .object({ sessionIds: z.array(id), committedAt: time, effectiveAt: time.nullable() })
  .meta({ id: "RevocationReceipt" });
export type RevocationReceipt = z.infer<typeof revocationReceiptSchema>;

export const sessionTokensSchema = z
  .object({ session: sessionSchema, accessToken: z.string(), refreshToken: z.string(), accessTokenExpiresAt: time })
  .meta({ id: "SessionTokens" });
export type SessionTokens = z.infer<typeof sessionTokensSchema>;

export const actorKindSchema = z.enum(["root", "admin", "user", "public", "system"]);
export type ActorKind = z.infer<typeof actorKindSchema>;

export const eventSchema = z
  .object({
    id,
    tenantId: id.nullable(),
    type: z.string(),
    actor: z.object({ kind: actorKindSchema, id: nullableString }),
    userId: id.nullable(),
    sessionId: id.nullable(),
    data: jsonRecord,
    createdAt: time,
  })
  .meta({ id: "Event" });
export type SesameEvent = z.infer<typeof eventSchema>;

/** A one-time enrollment code (`enrollment.createToken`): the digits are shown only here. */
export const enrollmentCodeSchema = z
  .object({ token: z.string(), enrollmentId: id, url: z.string().nullable(), expiresAt: time })
  .meta({ id: "EnrollmentCode" });
export type EnrollmentCode = z.infer<typeof enrollmentCodeSchema>;
