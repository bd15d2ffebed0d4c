/**
 * Stored rows. SQL names are snake_case; nothing here is returned as is — services map rows to the
 * public shapes of @sesame/core, so hashes and ciphertexts never leave the API.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { ClientInfo, SessionState, TenantSettings } from "@sesame/core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => ts("created_at").notNull().defaultNow();

export const tenants = pgTable("tenants", {
  id: uuid("id").primaryKey().defaultRandom(),
  code: text("code").notNull().unique(),
  name: text("name").notNull(),
  settings: jsonb("settings").$type<TenantSettings>().notNull(),
  createdAt: createdAt(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** SHA-256 of the whole key, hex. The key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_key_hash_idx").on(t.keyHash), index("api_keys_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    username: text("username").notNull(),
    /**
     * `usernameKey(username)` from @sesame/core: what uniqueness and sign-in compare. Null only for
     * rows from before it existed whose key collides with another user's (see db/backfill.ts).
     */
    usernameKey: text("username_key"),
    email: text("email"),
    passwordHash: text("password_hash"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    status: text("status").$type<"pendingJoin" | "active">().notNull().default("pendingJoin"),
    locked: boolean("locked").notNull().default(false),
    lockedAt: ts("locked_at"),
    profile: jsonb("profile").$type<Record<string, unknown>>().notNull().default({}),
    groups: text("groups").array().notNull().default(sql`'{}'::text[]`),
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    deletedAt: ts("deleted_at"),
    lastConnectedAt: ts("last_connected_at"),
    /** The user's id in the system it was imported from (`users.import`); unique per tenant among live users. */
    externalId: text("external_id"),
    /** When the user proved they receive mail at `email` (`auth.verifyEmail`, a password reset, or an import saying so). */
    emailVerifiedAt: ts("email_verified_at"),
  },
  (t) => [
    uniqueIndex("users_tenant_external_id_idx").on(t.tenantId, t.externalId).where(sql`${t.deletedAt} is null and ${t.externalId} is not null`),
    // Usernames (by their normal form) and emails are unique per tenant among users not deleted.
    uniqueIndex("users_tenant_username_key_idx").on(t.tenantId, t.usernameKey).where(sql`${t.deletedAt} is null`),
    uniqueIndex("users_tenant_email_idx").on(t.tenantId, t.email).where(sql`${t.deletedAt} is null`),
    // users.list pages by (created_at, id) within a tenant.
    index("users_tenant_created_idx").on(t.tenantId, t.createdAt, t.id),
    // users.list's total: the narrowest index over a tenant's live users, so counting them is an
    // index-only scan rather than a read of every user row (see test/scale.test.ts).
    index("users_tenant_live_idx").on(t.tenantId).where(sql`${t.deletedAt} is null`),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    state: text("state").$type<SessionState>().notNull().default("ENROLLED"),
    accessGroups: text("access_groups").array().notNull().default(sql`'{}'::text[]`),
    provider: text("provider").notNull(),
    providerUid: text("provider_uid"),
    /** The provider's tokens (JSON), encrypted by lib/crypto.ts `encryptString` (AES-256-GCM). */
    providerTokensEnc: text("provider_tokens_enc"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    clientType: text("client_type"),
    clientName: text("client_name"),
    clientVersion: text("client_version"),
    clientEngine: text("client_engine"),
    clientEngineVersion: text("client_engine_version"),
    osName: text("os_name"),
    osVersion: text("os_version"),
    deviceName: text("device_name"),
    deviceBrand: text("device_brand"),
    deviceModel: text("device_model"),
    countryCode: text("country_code"),
    countryName: text("country_name"),
    deviceId: text("device_id"),
    label: text("label"),
    container: jsonb("container").$type<{ version: string | null; bundleId: string | null; platform: string | null }>(),
    runtime: jsonb("runtime").$type<{ version: string | null }>(),
    lastFullSync: ts("last_full_sync"),
    factors: text("factors").array().notNull().default(sql`'{}'::text[]`),
    mfaUpdatedAt: ts("mfa_updated_at"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    expiresAt: ts("expires_at").notNull(),
    lastAuthenticatedAt: ts("last_authenticated_at").notNull().defaultNow(),
    signedOutAt: ts("signed_out_at"),
    lastConnectedAt: ts("last_connected_at"),
    deletedAt: ts("deleted_at"),
    /** Bumped on every change; the cache's compare-and-set orders writes by it. */
    version: integer("version").notNull().default(1),
    /** Bumped when a signed-out session enrolls again, so its older tokens stay dead. */
    generation: integer("generation").notNull().default(1),
  },
  (t) => [
    index("sessions_user_created_idx").on(t.userId, t.createdAt),
    index("sessions_tenant_idx").on(t.tenantId),
    // One live session per device, not counting RESET ones: they stay to deliver their wipe while
    // the device signs in again under a new session.
    uniqueIndex("sessions_user_device_idx").on(t.userId, t.deviceId).where(sql`${t.deviceId} is not null and ${t.deletedAt} is null and ${t.state} <> 'RESET'`),
  ],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id").notNull().references(() => sessions.id, { onDelete: "cascade" }),
    /** SHA-256 of the token, hex. */
    tokenHash: text("token_hash").notNull(),
    parentId: uuid("parent_id"),
    generation: integer("generation").notNull(),
    createdAt: createdAt(),
    /** Set when this token was exchanged for its child. */
    rotatedAt: ts("rotated_at"),
    childId: uuid("child_id"),
    /**
     * The child token itself, AES-256-GCM under the server key, kept only through the refresh grace
     * window so a concurrent replay of this token gets the same child instead of tripping reuse.
     */
    childTokenEnc: text("child_token_enc"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("refresh_tokens_hash_idx").on(t.tokenHash), index("refresh_tokens_session_idx").on(t.sessionId)],
);

export const enrollmentTokens = pgTable(
  "enrollment_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    /** HMAC-SHA-256 of the 8 digits under a server secret: 10^8 codes are too few for a plain hash. */
    codeHash: text("code_hash").notNull(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
    failedAttempts: integer("failed_attempts").notNull().default(0),
  },
  (t) => [index("enrollment_tokens_code_idx").on(t.codeHash), index("enrollment_tokens_user_idx").on(t.userId)],
);

export const events = pgTable(
  "events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Monotonic cursor for events.list. */
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    tenantId: uuid("tenant_id"),
    type: text("type").notNull(),
    actorKind: text("actor_kind").notNull(),
    actorId: text("actor_id"),
    userId: uuid("user_id"),
    sessionId: uuid("session_id"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("events_tenant_seq_idx").on(t.tenantId, t.seq),
    index("events_tenant_user_seq_idx").on(t.tenantId, t.userId, t.seq),
    index("events_tenant_session_seq_idx").on(t.tenantId, t.sessionId, t.seq),
  ],
);

/**
 * A user's second factors (one TOTP authenticator per user). `confirmedAt` is null until the first
 * code proves the user's authenticator holds the secret; only confirmed factors are asked for.
 */
export const mfaFactors = pgTable(
  "mfa_factors",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    type: text("type").$type<"totp">().notNull(),
    /** The base32 TOTP secret, AES-256-GCM under the server key (lib/crypto.ts `encryptString`). */
    secretEnc: text("secret_enc").notNull(),
    createdAt: createdAt(),
    confirmedAt: ts("confirmed_at"),
    /** The last 30-second step a code was accepted for: a code is good once (RFC 6238 §5.2). */
    lastUsedStep: bigint("last_used_step", { mode: "number" }),
  },
  (t) => [uniqueIndex("mfa_factors_user_type_idx").on(t.userId, t.type)],
);

/** Recovery codes: HMAC-SHA-256 under a server secret, each good once. */
export const mfaRecoveryCodes = pgTable(
  "mfa_recovery_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: createdAt(),
    usedAt: ts("used_at"),
  },
  (t) => [index("mfa_recovery_codes_user_idx").on(t.userId)],
);

/**
 * A sign-in waiting for its second factor: the first credential checked out, no session yet. The
 * token is shown once and stored as SHA-256; it is single-use, short-lived and dies after a few
 * wrong codes. It carries what the session will be started with.
 */
export const signInChallenges = pgTable(
  "sign_in_challenges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    /** What signed the user in first: `password`, or an OAuth provider's name. */
    provider: text("provider").notNull(),
    providerUid: text("provider_uid"),
    /** Provider tokens (JSON), encrypted like `sessions.provider_tokens_enc`. */
    providerTokensEnc: text("provider_tokens_enc"),
    client: jsonb("client").$type<ClientInfo>(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
    failedAttempts: integer("failed_attempts").notNull().default(0),
  },
  (t) => [uniqueIndex("sign_in_challenges_token_idx").on(t.tokenHash), index("sign_in_challenges_user_idx").on(t.userId)],
);

/** A tenant's OpenID Connect providers, found by issuer discovery. */
export const oauthProviders = pgTable(
  "oauth_providers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    /** The session's `provider` for sign-ins through it. */
    name: text("name").notNull(),
    issuer: text("issuer").notNull(),
    clientId: text("client_id").notNull(),
    /** AES-256-GCM under the server key; never returned. */
    clientSecretEnc: text("client_secret_enc").notNull(),
    redirectUris: text("redirect_uris").array().notNull(),
    scopes: text("scopes").array().notNull(),
    allowSignUp: boolean("allow_sign_up").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("oauth_providers_tenant_name_idx").on(t.tenantId, t.name)],
);

/**
 * One authorization request in flight: `state` is stored as SHA-256 and is single-use and
 * short-lived; the PKCE verifier and the nonce are encrypted (they prove the callback is the answer
 * to this request).
 */
export const oauthStates = pgTable(
  "oauth_states",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    providerId: uuid("provider_id").notNull().references(() => oauthProviders.id, { onDelete: "cascade" }),
    stateHash: text("state_hash").notNull(),
    secretsEnc: text("secrets_enc").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    client: jsonb("client").$type<ClientInfo>(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
  },
  (t) => [uniqueIndex("oauth_states_hash_idx").on(t.stateHash)],
);

/** Which provider account (`sub`) signs in as which user. */
export const userIdentities = pgTable(
  "user_identities",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    providerId: uuid("provider_id").notNull().references(() => oauthProviders.id, { onDelete: "cascade" }),
    subject: text("subject").notNull(),
    email: text("email"),
    createdAt: createdAt(),
    lastSignInAt: ts("last_sign_in_at"),
  },
  (t) => [uniqueIndex("user_identities_provider_subject_idx").on(t.providerId, t.subject), index("user_identities_user_idx").on(t.userId)],
);

/**
 * One-time links sent by email: password reset and email verification. Only the SHA-256 of the
 * token is stored (it is 256 random bits, so a plain hash suffices); a token is used once, by an
 * update that sets `used_at` only while it is unused and unexpired.
 */
export const userTokens = pgTable(
  "user_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose").$type<"password_reset" | "email_verification">().notNull(),
    /** SHA-256 of the token, hex. */
    tokenHash: text("token_hash").notNull(),
    /** The address the link was sent to: verifying it proves this address, not a later one. */
    email: text("email").notNull(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
  },
  (t) => [uniqueIndex("user_tokens_hash_idx").on(t.tokenHash), index("user_tokens_user_idx").on(t.userId, t.purpose)],
);

/** Cache writes committed with the change they describe, retried until they land. */
export const cacheOutbox = pgTable(
  "cache_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sessionId: uuid("session_id").notNull(),
    /** The encoded cache entry (see @sesame/core encodeCacheEntry). */
    entry: text("entry").notNull(),
    createdAt: createdAt(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    deliveredAt: ts("delivered_at"),
  },
  (t) => [index("cache_outbox_pending_idx").on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null`)],
);

/**
 * A tenant's webhook endpoints (README "Webhooks"). Signing secrets are AES-256-GCM under
 * `SESAME_ENCRYPTION_KEY` (lib/crypto.ts `encryptString`), as provider tokens are: the API needs the
 * secret itself to sign, so it cannot be hashed. After `webhooks.rotateSecret` the previous secret
 * keeps signing beside the new one until `previous_secret_expires_at`.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull().references(() => tenants.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    /** Event types delivered; empty = every type. */
    events: text("events").array().notNull().default(sql`'{}'::text[]`),
    enabled: boolean("enabled").notNull().default(true),
    secretEnc: text("secret_enc").notNull(),
    previousSecretEnc: text("previous_secret_enc"),
    previousSecretExpiresAt: ts("previous_secret_expires_at"),
    /** Why the endpoint was disabled by Sesame (a streak of failures); null when enabled or disabled by an admin. */
    disabledReason: text("disabled_reason"),
    disabledAt: ts("disabled_at"),
    /** First failed attempt since the last success; null while the endpoint answers. */
    failingSince: ts("failing_since"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId, t.createdAt)],
);

/**
 * One event to one endpoint: written in the same transaction as the event (services/events/
 * record-events.ts), delivered by the webhook worker (services/webhooks/worker.ts).
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Paging cursor for webhooks.deliveries. */
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    tenantId: uuid("tenant_id").notNull(),
    endpointId: uuid("endpoint_id").notNull().references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: uuid("event_id").notNull().references(() => events.id, { onDelete: "cascade" }),
    eventType: text("event_type").notNull(),
    /** Deliveries with the same key on an endpoint go one at a time, in `order_seq` order: the user id, or `tenant`. */
    orderKey: text("order_key").notNull(),
    orderSeq: bigint("order_seq", { mode: "number" }).notNull(),
    status: text("status").$type<"pending" | "delivered" | "failed">().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    /** A worker that claimed the delivery holds it until then; past it another worker may take it over. */
    leaseUntil: ts("lease_until"),
    /**
     * Pending but unable to go for a while (its endpoint is disabled, or an earlier delivery in its
     * queue failed and waits for its retry): left out of the claim's index until released (worker.ts).
     */
    held: boolean("held").notNull().default(false),
    firstAttemptAt: ts("first_attempt_at"),
    lastAttemptAt: ts("last_attempt_at"),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    durationMs: integer("duration_ms"),
    error: text("error"),
    deliveredAt: ts("delivered_at"),
    createdAt: createdAt(),
  },
  (t) => [
    // The claim walks the due pending deliveries, earliest first, and stops after the few it takes;
    // those whose retry is not due yet are past the end of its walk (worker.ts).
    index("webhook_deliveries_pending_due_idx").on(t.nextAttemptAt, t.orderSeq).where(sql`${t.status} = 'pending' and not ${t.held}`),
    // What the release of a queue and the safety net look for (worker.ts): only held deliveries are in it.
    index("webhook_deliveries_held_idx").on(t.endpointId, t.orderKey, t.orderSeq).where(sql`${t.status} = 'pending' and ${t.held}`),
    index("webhook_deliveries_order_idx").on(t.endpointId, t.orderKey, t.orderSeq).where(sql`${t.status} = 'pending'`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.seq),
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
export type EnrollmentTokenRow = typeof enrollmentTokens.$inferSelect;
export type UserTokenRow = typeof userTokens.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type MfaFactorRow = typeof mfaFactors.$inferSelect;
export type SignInChallengeRow = typeof signInChallenges.$inferSelect;
export type OAuthProviderRow = typeof oauthProviders.$inferSelect;
