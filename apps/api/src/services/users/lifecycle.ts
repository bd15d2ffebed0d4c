/**
 * `users.lock`, `users.unlock` and `users.delete`. Sessions are signed out through SessionChange,
 * in the same transaction as the user row, so the user and its sessions never disagree. The
 * `…InTx` functions run inside a caller's change (batch.run composes them).
 */
import type { RevocationReceipt, User } from "@sesame/core";
import { and, eq, gt, isNull } from "drizzle-orm";
import { enrollmentTokens, sessions, users } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { recordEvent } from "../events/record-events.ts";
import { commitSessionChange, type ChangedInTx, type SessionChange } from "../revocation/session-change.ts";
import type { AdminScope } from "../scope.ts";
import { runInTx, type TxContext } from "../transaction.ts";
import { loadPublicUser, lockUserRow } from "./queries.ts";

export interface LockUserInput {
  userId: string;
  /** true: sessions go to RESET (the devices wipe); false: LOCKED. */
  wipe: boolean;
}

/** The user can no longer sign in, and every session of theirs is signed out. */
export async function lockUser(deps: AppDeps, scope: AdminScope, input: LockUserInput): Promise<{ user: User; revocation: RevocationReceipt }> {
  const { value, receipt } = await commitSessionChange(deps, (change) => lockUserInTx(change, scope, input));
  return { user: value.value, revocation: receipt };
}

export async function lockUserInTx(change: SessionChange, scope: AdminScope, input: LockUserInput): Promise<ChangedInTx<User>> {
  const { tx, now } = change;
  const current = await lockUserRow(tx, scope.tenantId, input.userId);
  // Locking again keeps the first lockedAt: it says since when the user has been locked out.
  const [row] = await tx
    .update(users)
    .set({ locked: true, lockedAt: current.lockedAt ?? now, updatedAt: now })
    .where(eq(users.id, input.userId))
    .returning();
  await recordEvent(tx, { tenantId: scope.tenantId, type: "user.locked", actor: scope.actor, userId: input.userId, data: { wipe: input.wipe } }, now);
  await expireEnrollmentCodes(change, input.userId);
  const changed = await change.apply(scope, eq(sessions.userId, input.userId), input.wipe ? { type: "wipe", cause: "wipe" } : { type: "lock", cause: "lock" });
  return { value: await loadPublicUser(tx, row!, now), sessionIds: changed.map((s) => s.id) };
}

/** Unlocking lets the user sign in again; sessions signed out by the lock stay signed out. */
export function unlockUser(deps: AppDeps, scope: AdminScope, input: { userId: string }): Promise<User> {
  return runInTx(deps, (t) => unlockUserInTx(t, scope, input));
}

export async function unlockUserInTx({ tx, now }: TxContext, scope: AdminScope, input: { userId: string }): Promise<User> {
  const current = await lockUserRow(tx, scope.tenantId, input.userId);
  if (!current.locked) return loadPublicUser(tx, current, now);
  const [row] = await tx.update(users).set({ locked: false, lockedAt: null, updatedAt: now }).where(eq(users.id, input.userId)).returning();
  await recordEvent(tx, { tenantId: scope.tenantId, type: "user.unlocked", actor: scope.actor, userId: input.userId }, now);
  return loadPublicUser(tx, row!, now);
}

/**
 * Soft-deletes the user: the row stays (events refer to it) but its username and email are free
 * again, and every session goes to RESET so devices wipe the user's data when they next connect.
 */
export async function deleteUser(deps: AppDeps, scope: AdminScope, input: { userId: string }): Promise<{ user: User; revocation: RevocationReceipt }> {
  const { value, receipt } = await commitSessionChange(deps, async (change) => {
    const { tx, now } = change;
    await lockUserRow(tx, scope.tenantId, input.userId);
    const [row] = await tx.update(users).set({ deletedAt: now, updatedAt: now }).where(eq(users.id, input.userId)).returning();
    await recordEvent(tx, { tenantId: scope.tenantId, type: "user.deleted", actor: scope.actor, userId: input.userId }, now);
    await expireEnrollmentCodes(change, input.userId);
    await change.apply(scope, eq(sessions.userId, input.userId), { type: "wipe", cause: "user_deleted" });
    return loadPublicUser(tx, row!, now);
  });
  return { user: value, revocation: receipt };
}

/** Unused enrollment codes die with the user's ability to sign in (lock, delete). */
async function expireEnrollmentCodes({ tx, now }: TxContext, userId: string): Promise<void> {
  await tx
    .update(enrollmentTokens)
    .set({ expiresAt: now })
    .where(and(eq(enrollmentTokens.userId, userId), isNull(enrollmentTokens.usedAt), gt(enrollmentTokens.expiresAt, now)));
}
