/** `auth.changePassword`: the signed-in user changes their own password. */
import type { RevocationReceipt } from "@sesame/core";
import { and, eq, ne } from "drizzle-orm";
import { sessions, users } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError } from "../../lib/errors.ts";
import { hashPassword, verifyPassword } from "../../lib/passwords.ts";
import { recordEvent } from "../events/record-events.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { UserScope } from "../scope.ts";
import { callerUserRow } from "./own-sessions.ts";
import { throttlePasswordChange } from "./throttle.ts";

/**
 * Checks the current password, stores the new hash and signs out the user's other sessions
 * (cause `password_change`); the current one stays signed in. Both hashes are computed before the
 * transaction; the update applies only if the stored hash is still the one verified, so two
 * concurrent changes cannot both win.
 */
export async function changeOwnPassword(deps: AppDeps, scope: UserScope, input: { currentPassword: string; newPassword: string }): Promise<{ revocation: RevocationReceipt }> {
  await throttlePasswordChange(deps, { tenantId: scope.tenantId, userId: scope.userId, ip: null });
  const user = await callerUserRow(deps, scope);
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw apiError("BAD_REQUEST", "The current password is not correct", "currentPassword");
  }
  if (input.newPassword === input.currentPassword) {
    throw apiError("BAD_REQUEST", "The new password must differ from the current one", "newPassword");
  }
  const passwordHash = await hashPassword(input.newPassword);
  const { receipt } = await commitSessionChange(deps, async (change) => {
    const { tx, now } = change;
    const [updated] = await tx
      .update(users)
      .set({ passwordHash, updatedAt: now })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash!)))
      .returning({ id: users.id });
    if (!updated) throw apiError("CONFLICT", "The password was changed by another request; sign in again");
    await recordEvent(tx, { tenantId: scope.tenantId, type: "user.password_changed", actor: scope.actor, userId: user.id, sessionId: scope.sessionId }, now);
    await change.apply(scope, and(eq(sessions.userId, user.id), ne(sessions.id, scope.sessionId)), { type: "lock", cause: "password_change" });
  });
  return { revocation: receipt };
}
