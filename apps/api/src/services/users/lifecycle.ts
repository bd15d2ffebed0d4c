/**
 * Deleting, locking and unlocking users. Their sessions are signed out through SessionChange, in
 * the same transaction as the user row, so the user and its sessions never disagree.
 * The `…InChange` functions run inside a caller's SessionChange (batch.run composes them).
 */
import type { RevocationReceipt, User } from "@sesame/core";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import type { Tx } from "../../db/client.ts";
import { enrollmentTokens, sessions, users } from "../../db/schema.ts";
import { recordEvent } from "../events/record-events.ts";
import type { Actor } from "../scope.ts";
import { commitSessionChange, type SessionChange } from "../revocation/session-change.ts";
import { toPublicUserWithDerived } from "./queries.ts";
import { lockUserRow } from "./write.ts";

/** What a change did inside a transaction; the receipt's times are known only after commit. */
export interface ChangedInTx<T> {
  value: T;
  sessionIds: string[];
}

/** Unused enrollment codes die with the user's ability to sign in (lock, delete). */
async function expireEnrollmentTokens(tx: Tx, userId: string, now: Date) {
  await tx
    .update(enrollmentTokens)
    .set({ expiresAt: now })
    .where(and(eq(enrollmentTokens.userId, userId), isNull(enrollmentTokens.usedAt), gt(enrollmentTokens.expiresAt, now)));
}

export async function lockUserInChange(tx: Tx, change: SessionChange, tenantId: string, input: { userId: string; wipe: boolean }, actor: Actor): Promise<ChangedInTx<User>> {
  const now = change.now;
  const current = await lockUserRow(tx, tenantId, input.userId);
  // Locking again keeps the first lockedAt: it says since when the user has been locked out.
  const [row] = await tx
    .update(users)
    .set({ locked: true, lockedAt: current.lockedAt ?? now, updatedAt: now })
    .where(eq(users.id, input.userId))
    .returning();
  await recordEvent(tx, { tenantId, type: "user.locked", actor, userId: input.userId, data: { wipe: input.wipe } }, now);
  await expireEnrollmentTokens(tx, input.userId, now);
  const changed = await change.apply(
    tenantId,
    eq(sessions.userId, input.userId),
    input.wipe ? { type: "wipe", cause: "wipe" } : { type: "lock", cause: "lock" },
    actor,
  );
  return { value: await toPublicUserWithDerived(tx, row!, now), sessionIds: changed.map((s) => s.id) };
}

/** Unlocking lets the user sign in again; sessions signed out by the lock stay signed out. */
export async function unlockUserInTx(tx: Tx, tenantId: string, userId: string, actor: Actor, now: Date): Promise<User> {
  const current = await lockUserRow(tx, tenantId, userId);
  if (!current.locked) return toPublicUserWithDerived(tx, current, now);
  const [row] = await tx.update(users).set({ locked: false, lockedAt: null, updatedAt: now }).where(eq(users.id, userId)).returning();
  await recordEvent(tx, { tenantId, type: "user.unlocked", actor, userId }, now);
  return toPublicUserWithDerived(tx, row!, now);
}

export async function lockUser(deps: AppDeps, tenantId: string, input: { userId: string; wipe: boolean }, actor: Actor): Promise<{ user: User; revocation: RevocationReceipt }> {
  const { value, receipt } = await commitSessionChange(deps, (tx, change) => lockUserInChange(tx, change, tenantId, input, actor));
  return { user: value.value, revocation: receipt };
}

export async function unlockUser(deps: AppDeps, tenantId: string, userId: string, actor: Actor): Promise<User> {
  return deps.db.transaction((tx) => unlockUserInTx(tx, tenantId, userId, actor, deps.now()));
}

/**
 * Soft-deletes the user: the row stays (events refer to it) but its username and email are free
 * again, and every session goes to RESET so devices wipe the user's data when they next connect.
 */
export async function deleteUser(deps: AppDeps, tenantId: string, userId: string, actor: Actor): Promise<{ user: User; revocation: RevocationReceipt }> {
  const { value, receipt } = await commitSessionChange(deps, async (tx, change) => {
    const now = change.now;
    await lockUserRow(tx, tenantId, userId);
    const [row] = await tx.update(users).set({ deletedAt: now, updatedAt: now }).where(eq(users.id, userId)).returning();
    await recordEvent(tx, { tenantId, type: "user.deleted", actor, userId }, now);
    await expireEnrollmentTokens(tx, userId, now);
    await change.apply(tenantId, eq(sessions.userId, userId), { type: "wipe", cause: "user_deleted" }, actor);
    return toPublicUserWithDerived(tx, row!, now);
  });
  return { user: value, revocation: receipt };
}
