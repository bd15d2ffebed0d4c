/**
 * `sessions.delete`, `sessions.deleteAll`, `sessions.wipe` and `sessions.reauthenticate`: every one
 * goes through SessionChange, so the cache and the event log follow. The `…InTx` functions run
 * inside a caller's change (batch.run composes them).
 */
import type { RevocationReceipt, Session, SessionAction } from "@sesame/core";
import { and, eq, ne } from "drizzle-orm";
import { sessions } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { notFound } from "../../lib/errors.ts";
import { toPublicSession } from "../mappers.ts";
import { commitSessionChange, type ChangedInTx, type SessionChange } from "../revocation/session-change.ts";
import type { AdminScope } from "../scope.ts";
import { findUser } from "../users/queries.ts";
import { resolveSessionId, sessionByIdQuery, type SessionRef } from "./find-session.ts";

export interface SessionOfUser {
  userId: string;
  sessionId: string;
}

type SignedOutSession = { session: Session; revocation: RevocationReceipt };

const WIPE: SessionAction = { type: "wipe", cause: "wipe" };
const REAUTHENTICATE: SessionAction = { type: "lock", cause: "reauthenticate" };

/** RESET: the device must wipe its data and sign in again. */
export const wipeSession = (deps: AppDeps, scope: AdminScope, input: SessionOfUser) => signOutSession(deps, scope, input, WIPE);
export const wipeSessionInTx = (change: SessionChange, scope: AdminScope, input: SessionOfUser) => signOutSessionInTx(change, scope, input, WIPE);

/** LOCKED: the device must sign in again, and keeps its data. */
export const reauthenticateSession = (deps: AppDeps, scope: AdminScope, input: SessionOfUser) => signOutSession(deps, scope, input, REAUTHENTICATE);
export const reauthenticateSessionInTx = (change: SessionChange, scope: AdminScope, input: SessionOfUser) =>
  signOutSessionInTx(change, scope, input, REAUTHENTICATE);

/** By id, or by an access or refresh token the session issued. */
export const deleteSession = (deps: AppDeps, scope: AdminScope, input: SessionRef) => signOutSession(deps, scope, input, { type: "delete" });

async function signOutSession(deps: AppDeps, scope: AdminScope, ref: SessionRef, action: SessionAction): Promise<SignedOutSession> {
  const { value, receipt } = await commitSessionChange(deps, async (change) => {
    const sessionId = await resolveSessionId(deps, change.tx, scope.tenantId, ref);
    if (!sessionId) throw notFound("Session");
    return signOutSessionInTx(change, scope, { userId: ref.userId, sessionId }, action);
  });
  return { session: value.value, revocation: receipt };
}

/** Applies `action` to one live session of the user; NOT_FOUND when there is none. */
async function signOutSessionInTx(change: SessionChange, scope: AdminScope, input: SessionOfUser, action: SessionAction): Promise<ChangedInTx<Session>> {
  const [row] = await sessionByIdQuery(change.tx, scope.tenantId, input.userId, input.sessionId);
  if (!row) throw notFound("Session");
  const [changed] = await change.apply(scope, eq(sessions.id, row.id), action);
  // Unchanged (already as strong as asked): the session as it is, and an empty receipt.
  return { value: toPublicSession(changed ?? row), sessionIds: changed ? [changed.id] : [] };
}

/**
 * Deletes every live session of the user but `exceptSessionId`, which must be one of them: a
 * mistyped id must not silently delete the session the caller meant to keep.
 */
export async function deleteAllSessions(deps: AppDeps, scope: AdminScope, input: { userId: string; exceptSessionId?: string }): Promise<{ revocation: RevocationReceipt }> {
  const { receipt } = await commitSessionChange(deps, async (change) => {
    await findUser(change.tx, scope.tenantId, input.userId);
    if (input.exceptSessionId) {
      const [kept] = await sessionByIdQuery(change.tx, scope.tenantId, input.userId, input.exceptSessionId);
      if (!kept) throw notFound("Session");
    }
    await change.apply(scope, and(eq(sessions.userId, input.userId), input.exceptSessionId ? ne(sessions.id, input.exceptSessionId) : undefined), { type: "delete" });
  });
  return { revocation: receipt };
}
