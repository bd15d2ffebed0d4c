/**
 * The signed-in user's own account: `auth.me`, `auth.sessions`, `auth.revokeSession`,
 * `auth.revokeOtherSessions` and `auth.logout`. Every sign-out goes through SessionChange like any
 * admin action, and answers the receipt.
 */
import type { RevocationReceipt, Session, User } from "@sesame/core";
import { and, eq, isNull, ne } from "drizzle-orm";
import { sessions, type UserRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import { toPublicSession } from "../mappers.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { UserScope } from "../scope.ts";
import { loadPublicUserOfRow, userByIdQuery, userSessionsQuery } from "../users/queries.ts";

const LOGOUT = { type: "lock", cause: "logout" } as const;

/** The caller's user row. Authentication has just checked it; a delete racing this request lands here. */
export async function callerUserRow(deps: AppDeps, scope: UserScope): Promise<UserRow> {
  const [user] = await userByIdQuery(deps.db, scope.tenantId, scope.userId);
  if (!user) throw apiError("UNAUTHORIZED", "Session is no longer valid");
  return user;
}

export async function getMe(deps: AppDeps, scope: UserScope): Promise<{ user: User; session: Session }> {
  // The caller check read both rows a moment ago: only the user's derived fields are left to read.
  const user = await loadPublicUserOfRow(deps.db, scope.rows.user, deps.now());
  return { user, session: toPublicSession(scope.rows.session, { currentSessionId: scope.sessionId }) };
}

/** The caller's sessions, newest first: active ones, or every one not deleted with `includeInactive`. */
export async function listOwnSessions(deps: AppDeps, scope: UserScope, input: { includeInactive?: boolean } = {}): Promise<Session[]> {
  const rows = await userSessionsQuery(deps.db, scope.tenantId, scope.userId, input.includeInactive ? {} : { activeAt: deps.now() });
  return rows.map((row) => toPublicSession(row, { currentSessionId: scope.sessionId }));
}

/** Signs out one of the caller's sessions (possibly the current one). Another user's id is NOT_FOUND. */
export async function revokeOwnSession(deps: AppDeps, scope: UserScope, input: { sessionId: string }): Promise<{ revocation: RevocationReceipt; session: Session }> {
  const { value, receipt } = await commitSessionChange(deps, async (change) => {
    const mine = and(eq(sessions.id, input.sessionId), eq(sessions.userId, scope.userId), isNull(sessions.deletedAt));
    await change.apply(scope, mine, LOGOUT);
    const [row] = await change.tx.select().from(sessions).where(and(eq(sessions.tenantId, scope.tenantId), mine)).limit(1);
    if (!row) throw notFound("Session");
    return row;
  });
  return { revocation: receipt, session: toPublicSession(value, { currentSessionId: scope.sessionId }) };
}

export async function revokeOtherSessions(deps: AppDeps, scope: UserScope): Promise<{ revocation: RevocationReceipt }> {
  const { receipt } = await commitSessionChange(deps, (change) => change.apply(scope, and(eq(sessions.userId, scope.userId), ne(sessions.id, scope.sessionId)), LOGOUT));
  return { revocation: receipt };
}

export async function logout(deps: AppDeps, scope: UserScope): Promise<{ revocation: RevocationReceipt }> {
  const { receipt } = await commitSessionChange(deps, (change) => change.apply(scope, and(eq(sessions.id, scope.sessionId), eq(sessions.userId, scope.userId)), LOGOUT));
  return { revocation: receipt };
}
