/**
 * Tenant admins' session procedures. Every sign-out, delete and group change goes through
 * SessionChange, so the cache and the event log follow; the `…InChange` functions compose inside
 * a caller's change (batch.run).
 */
import type { ClientInfo, RevocationReceipt, Session, SessionAction } from "@sesame/core";
import { and, eq, gt, isNull, ne } from "drizzle-orm";
import type { RequestOrigin } from "../scope.ts";
import type { AppDeps } from "../../deps.ts";
import type { Tx } from "../../db/client.ts";
import { sessions, tenants, users } from "../../db/schema.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import type { Actor } from "../scope.ts";
import { toPublicSession } from "../mappers.ts";
import { commitSessionChange, type SessionChange } from "../revocation/session-change.ts";
import { startSession, type StartedSession } from "./start-session.ts";
import { findSession, sessionByIdQuery, type SessionRef } from "./find-session.ts";
import type { ChangedInTx } from "../users/lifecycle.ts";
import { findUser, userSessionsQuery } from "../users/queries.ts";

export interface CreateAdminSessionInput {
  userId: string;
  accessGroups?: string[];
  provider?: string;
  ttlSeconds?: number;
  client?: ClientInfo;
}

/** Starts a session for a user on a trusted backend's behalf; its reported client info is believed. */
export async function createAdminSession(deps: AppDeps, tenantId: string, input: CreateAdminSessionInput, request: RequestOrigin, actor: Actor): Promise<StartedSession> {
  const [row] = await deps.db
    .select({ user: users, tenant: tenants })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(users.id, input.userId), eq(users.tenantId, tenantId), isNull(users.deletedAt)))
    .limit(1);
  if (!row) throw notFound("User");
  // A locked user's sessions are refused everywhere; starting one would only hand out dead tokens.
  if (row.user.locked) throw apiError("FORBIDDEN", "User is locked");
  return startSession(deps, {
    tenant: row.tenant,
    user: row.user,
    provider: input.provider ?? "admin",
    accessGroups: input.accessGroups,
    ttlSeconds: input.ttlSeconds,
    client: input.client,
    request,
    trustReportedClient: true,
    actor,
  });
}

/** By default the sessions the edge accepts now; `includeInactive` adds signed-out and expired ones. */
export async function listUserSessions(deps: AppDeps, tenantId: string, input: { userId: string; includeInactive?: boolean }): Promise<Session[]> {
  await findUser(deps.db, tenantId, input.userId);
  const rows = await userSessionsQuery(deps.db, tenantId, input.userId, input.includeInactive ? {} : { activeAt: deps.now() });
  return rows.map((r) => toPublicSession(r));
}

/** Admins see the provider tokens (decrypted); no other view does. */
export async function getUserSession(deps: AppDeps, tenantId: string, ref: SessionRef): Promise<Session> {
  const row = await findSession(deps, deps.db, tenantId, ref);
  return toPublicSession(row, { providerTokensKey: deps.config.encryptionKey });
}

/** Applies `action` to one live session of the user; NOT_FOUND when there is none. */
export async function signOutSessionInChange(
  tx: Tx,
  change: SessionChange,
  tenantId: string,
  input: { userId: string; sessionId: string },
  action: SessionAction,
  actor: Actor,
): Promise<ChangedInTx<Session>> {
  const [row] = await sessionByIdQuery(tx, tenantId, input.userId, input.sessionId);
  if (!row) throw notFound("Session");
  const [changed] = await change.apply(tenantId, eq(sessions.id, row.id), action, actor);
  // Unchanged (already as strong as asked): the session as it is, and an empty receipt.
  return { value: toPublicSession(changed ?? row), sessionIds: changed ? [changed.id] : [] };
}

async function signOutSession(deps: AppDeps, tenantId: string, ref: SessionRef, action: SessionAction, actor: Actor): Promise<{ session: Session; revocation: RevocationReceipt }> {
  const { value, receipt } = await commitSessionChange(deps, async (tx, change) => {
    const row = await findSession(deps, tx, tenantId, ref);
    return signOutSessionInChange(tx, change, tenantId, { userId: ref.userId, sessionId: row.id }, action, actor);
  });
  return { session: value.value, revocation: receipt };
}

export const deleteUserSession = (deps: AppDeps, tenantId: string, ref: SessionRef, actor: Actor) =>
  signOutSession(deps, tenantId, ref, { type: "delete" }, actor);

export const wipeUserSession = (deps: AppDeps, tenantId: string, ref: { userId: string; sessionId: string }, actor: Actor) =>
  signOutSession(deps, tenantId, ref, { type: "wipe", cause: "wipe" }, actor);

export const reauthenticateUserSession = (deps: AppDeps, tenantId: string, ref: { userId: string; sessionId: string }, actor: Actor) =>
  signOutSession(deps, tenantId, ref, { type: "lock", cause: "reauthenticate" }, actor);

/**
 * Deletes every live session of the user but `exceptSessionId`, which must be one of them: a
 * mistyped id must not silently delete the session the caller meant to keep.
 */
export async function deleteAllUserSessions(deps: AppDeps, tenantId: string, input: { userId: string; exceptSessionId?: string }, actor: Actor): Promise<{ revocation: RevocationReceipt }> {
  const { receipt } = await commitSessionChange(deps, async (tx, change) => {
    await findUser(tx, tenantId, input.userId);
    if (input.exceptSessionId) {
      const [kept] = await sessionByIdQuery(tx, tenantId, input.userId, input.exceptSessionId);
      if (!kept) throw notFound("Session");
    }
    await change.apply(
      tenantId,
      and(eq(sessions.userId, input.userId), input.exceptSessionId ? ne(sessions.id, input.exceptSessionId) : undefined),
      { type: "delete" },
      actor,
    );
  });
  return { revocation: receipt };
}

/**
 * Adds or removes access groups on the user's active sessions (ENROLLED, unexpired); the edge sees
 * the change on the next request. Returns the sessions that changed and the cache receipt.
 */
export async function changeSessionGroups(
  deps: AppDeps,
  tenantId: string,
  input: { userId: string; add?: string[]; remove?: string[] },
  actor: Actor,
): Promise<{ sessions: Session[]; revocation: RevocationReceipt }> {
  const { value, receipt } = await commitSessionChange(deps, async (tx, change) => {
    await findUser(tx, tenantId, input.userId);
    return change.changeGroups(
      tenantId,
      and(eq(sessions.userId, input.userId), gt(sessions.expiresAt, change.now)),
      { add: input.add, remove: input.remove },
      actor,
    );
  });
  return { sessions: value.map((r) => toPublicSession(r)), revocation: receipt };
}
