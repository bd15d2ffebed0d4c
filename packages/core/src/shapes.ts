/**
 * Public shapes (contract §3 and §5): what the API returns and clients rely on. Stored rows live in
 * the API and never leave it; these carry no hash and no secret. Times are ISO-8601 strings.
 */
import { z } from "zod";
import { enrollmentUrlSchema } from "./enrollment-url.ts";
import type { SessionState } from "./session.ts";
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
  /** Sessions not connected (refreshed) for this long are expired; null = no idle timeout. */
  sessionIdleTimeoutSeconds: z.number().int().min(MIN_SESSION_IDLE_TIMEOUT_SECONDS).max(366 * 24 * 3600).nullable().default(null),
});
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export interface Tenant {
  id: string;
  code: string;
  name: string;
  settings: TenantSettings;
  createdAt: string;
  updatedAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type UserStatus = "pendingJoin" | "active";

export interface User {
  id: string;
  tenantId: string;
  username: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  status: UserStatus;
  locked: boolean;
  lockedAt: string | null;
  profile: Record<string, unknown>;
  groups: string[];
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  enrolled: boolean;
  lastConnectedAt: string | null;
}

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

export interface ProviderTokens {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: string | null;
}

export interface Session {
  id: string;
  tenantId: string;
  userId: string;
  state: SessionState;
  accessGroups: string[];
  provider: string;
  providerUid: string | null;
  /** Only in admin `sessions.get`. */
  providerTokens?: ProviderTokens;
  ip: string | null;
  clientType: string | null;
  clientName: string | null;
  clientVersion: string | null;
  clientEngine: string | null;
  clientEngineVersion: string | null;
  osName: string | null;
  osVersion: string | null;
  deviceName: string | null;
  deviceBrand: string | null;
  deviceModel: string | null;
  countryCode: string | null;
  countryName: string | null;
  device: { id: string | null };
  label: string | null;
  container: { version: string | null; bundleId: string | null; platform: string | null };
  runtime: { version: string | null };
  syncStatus: { lastFullSync: string | null };
  factors: string[];
  mfaUpdatedAt: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  lastAuthenticatedAt: string;
  signedOutAt: string | null;
  lastConnectedAt: string | null;
  deletedAt: string | null;
  version: number;
  current: boolean;
}

/** Returned by every revoking mutation (contract §6). `effectiveAt` is null while the cache write is pending. */
export interface RevocationReceipt {
  sessionIds: string[];
  committedAt: string;
  effectiveAt: string | null;
}

export interface SessionTokens {
  session: Session;
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
}

export type ActorKind = "root" | "admin" | "user" | "public" | "system";

export interface SesameEvent {
  id: string;
  tenantId: string | null;
  type: string;
  actor: { kind: ActorKind; id: string | null };
  userId: string | null;
  sessionId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}
