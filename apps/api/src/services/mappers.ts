/**
 * Stored rows → public shapes, and nothing else: no queries (a shape that needs another read, like
 * a user's derived fields, is loaded in that area's queries.ts and passed in). Hashes and
 * ciphertexts stay behind.
 */
import type { ActorKind, ApiKey, ProviderTokens, SesameEvent, Session, Tenant, User } from "@sesame/core";
import type { ApiKeyRow, EventRow, SessionRow, TenantRow, UserRow } from "../db/schema.ts";
import { decryptString } from "../lib/crypto.ts";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toPublicTenant(row: TenantRow): Tenant {
  return { id: row.id, code: row.code, name: row.name, settings: row.settings, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

export function toPublicApiKey(row: ApiKeyRow): ApiKey {
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString(), lastUsedAt: iso(row.lastUsedAt), revokedAt: iso(row.revokedAt) };
}

export interface UserDerived {
  enrolled: boolean;
  lastConnectedAt: Date | null;
}

export function toPublicUser(row: UserRow, derived: UserDerived): User {
  return {
    id: row.id,
    tenantId: row.tenantId,
    username: row.username,
    email: row.email,
    firstName: row.firstName,
    lastName: row.lastName,
    status: row.status,
    locked: row.locked,
    lockedAt: iso(row.lockedAt),
    profile: row.profile,
    groups: row.groups,
    config: row.config,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deletedAt: iso(row.deletedAt),
    enrolled: derived.enrolled,
    lastConnectedAt: iso(derived.lastConnectedAt ?? row.lastConnectedAt),
    externalId: row.externalId,
    emailVerifiedAt: iso(row.emailVerifiedAt),
  };
}

export interface SessionViewOptions {
  currentSessionId?: string | null;
  /** Decrypt and include provider tokens (admin `sessions.get` only). */
  providerTokensKey?: Uint8Array;
}

export function toPublicSession(row: SessionRow, options: SessionViewOptions = {}): Session {
  const session: Session = {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    state: row.state,
    accessGroups: row.accessGroups,
    provider: row.provider,
    providerUid: row.providerUid,
    ip: row.ip,
    clientType: row.clientType,
    clientName: row.clientName,
    clientVersion: row.clientVersion,
    clientEngine: row.clientEngine,
    clientEngineVersion: row.clientEngineVersion,
    osName: row.osName,
    osVersion: row.osVersion,
    deviceName: row.deviceName,
    deviceBrand: row.deviceBrand,
    deviceModel: row.deviceModel,
    countryCode: row.countryCode,
    countryName: row.countryName,
    device: { id: row.deviceId },
    label: row.label,
    container: row.container ?? { version: null, bundleId: null, platform: null },
    runtime: row.runtime ?? { version: null },
    syncStatus: { lastFullSync: iso(row.lastFullSync) },
    factors: row.factors,
    mfaUpdatedAt: iso(row.mfaUpdatedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    lastAuthenticatedAt: row.lastAuthenticatedAt.toISOString(),
    signedOutAt: iso(row.signedOutAt),
    lastConnectedAt: iso(row.lastConnectedAt),
    deletedAt: iso(row.deletedAt),
    version: row.version,
    current: options.currentSessionId != null && options.currentSessionId === row.id,
  };
  if (options.providerTokensKey) {
    session.providerTokens = row.providerTokensEnc
      ? (JSON.parse(decryptString(options.providerTokensKey, row.providerTokensEnc)) as ProviderTokens)
      : { accessToken: null, refreshToken: null, expiresAt: null };
  }
  return session;
}

export function toPublicEvent(row: EventRow): SesameEvent {
  return {
    id: row.id,
    tenantId: row.tenantId,
    type: row.type,
    actor: { kind: row.actorKind as ActorKind, id: row.actorId },
    userId: row.userId,
    sessionId: row.sessionId,
    data: row.data,
    createdAt: row.createdAt.toISOString(),
  };
}
