/**
 * The signed-in user's own account: who am I, my sessions, signing them out, my password. Every
 * sign-out goes through SessionChange, so it bumps versions, revokes refresh tokens, records
 * events and writes cache tombstones like any admin action, and returns the receipt.
 */
import type { RevocationReceipt, Session } from "@sesame/core";
import { and, eq, isNull, ne } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import { sessions, users } from "../../db/schema.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import type { UserCaller } from "../callers/authenticate.ts";
import { throttlePasswordChange } from "./throttle.ts";
import { recordEvent } from "../events/record-events.ts";
import { toPublicSession } from "../mappers.ts";
import { hashPassword, verifyPassword } from "../../lib/passwords.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import { toPublicUserWithDerived, userSessionsQuery } from "../users/queries.ts";

async function loadUser(deps: AppDeps, caller: UserCaller) {
  const [user] = await deps.db
    .select()
    .from(users)
    .where(and(eq(users.id, caller.userId), eq(users.tenantId, caller.tenantId), isNull(users.deletedAt)))
    .limit(1);
  // authenticateUser has just checked the user; a delete racing this request lands here.
  if (!user) throw apiError("UNAUTHORIZED", "Session is no longer valid");
  return user;
}

export async function getMe(deps: AppDeps, caller: UserCaller) {
  const user = await loadUser(deps, caller);
  const [session] = await deps.db.select().from(sessions).where(eq(sessions.id, caller.sessionId)).limit(1);
  if (!session) throw apiError("UNAUTHORIZED", "Session is no longer valid");
  return { user: await toPublicUserWithDerived(deps.db, user, deps.now()), session: toPublicSession(session, { currentSessionId: caller.sessionId }) };
}

/** The caller's sessions, newest first: active ones, or every one not deleted with `includeInactive`. */
export async function listOwnSessions(deps: AppDeps, caller: UserCaller, options: { includeInactive?: boolean } = {}): Promise<Session[]> {
  const rows = await userSessionsQuery(deps.db, caller.tenantId, caller.userId, options.includeInactive ? {} : { activeAt: deps.now() });
  return rows.map((row) => toPublicSession(row, { currentSessionId: caller.sessionId }));
}

/** Signs out one of the caller's sessions (possibly the current one). Another user's id is NOT_FOUND. */
export async function revokeOwnSession(deps: AppDeps, caller: UserCaller, sessionId: string): Promise<{ revocation: RevocationReceipt; session: Session }> {
  const { value, receipt } = await commitSessionChange(deps, async (tx, change) => {
    const mine = and(eq(sessions.id, sessionId), eq(sessions.userId, caller.userId), isNull(sessions.deletedAt));
    await change.apply(caller.tenantId, mine, { type: "lock", cause: "logout" }, caller.actor);
    const [row] = await tx.select().from(sessions).where(and(eq(sessions.tenantId, caller.tenantId), mine)).limit(1);
    if (!row) throw notFound("Session");
    return row;
  });
  return { revocation: receipt, session: toPublicSession(value, { currentSessionId: caller.sessionId }) };
}

export async function revokeOtherSessions(deps: AppDeps, caller: UserCaller): Promise<{ revocation: RevocationReceipt }> {
  const { receipt } = await commitSessionChange(deps, (_tx, change) =>
    change.apply(caller.tenantId, and(eq(sessions.userId, caller.userId), ne(sessions.id, caller.sessionId)), { type: "lock", cause: "logout" }, caller.actor),
  );
  return { revocation: receipt };
}

export async function logout(deps: AppDeps, caller: UserCaller): Promise<{ revocation: RevocationReceipt }> {
  const { receipt } = await commitSessionChange(deps, (_tx, change) =>
    change.apply(caller.tenantId, and(eq(sessions.id, caller.sessionId), eq(sessions.userId, caller.userId)), { type: "lock", cause: "logout" }, caller.actor),
  );
  return { revocation: receipt };
}

/**
 * Checks the current password, stores the new hash and signs out the user's other sessions
 * (cause `password_change`); the current one stays signed in. Both hashes are computed before the
 * transaction; the update applies only if the stored hash is still the one verified, so two
 * concurrent changes cannot both win.
 */
export async function changeOwnPassword(
  deps: AppDeps,
  caller: UserCaller,
  input: { currentPassword: string; newPassword: string },
): Promise<{ revocation: RevocationReceipt }> {
  await throttlePasswordChange(deps, { tenantId: caller.tenantId, userId: caller.userId, ip: null });
  const user = await loadUser(deps, caller);
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw apiError("BAD_REQUEST", "The current password is not correct", "currentPassword");
  }
  if (input.newPassword === input.currentPassword) {
    throw apiError("BAD_REQUEST", "The new password must differ from the current one", "newPassword");
  }
  const passwordHash = await hashPassword(input.newPassword);
  const { receipt } = await commitSessionChange(deps, async (tx, change) => {
    const [updated] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: change.now })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash!)))
      .returning({ id: users.id });
    if (!updated) throw apiError("CONFLICT", "The password was changed by another request; sign in again");
    await recordEvent(tx, { tenantId: caller.tenantId, type: "user.password_changed", actor: caller.actor, userId: user.id, sessionId: caller.sessionId }, change.now);
    await change.apply(
      caller.tenantId,
      and(eq(sessions.userId, user.id), ne(sessions.id, caller.sessionId)),
      { type: "lock", cause: "password_change" },
      caller.actor,
    );
  });
  return { revocation: receipt };
}
