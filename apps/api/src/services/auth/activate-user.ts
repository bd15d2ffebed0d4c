/** User-side effects of signing in. */
import { and, eq } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import { users, type UserRow } from "../../db/schema.ts";
import { recordEvent } from "../events/record-events.ts";
import type { Actor } from "../scope.ts";

/** A pendingJoin user becomes active on its first successful sign-in (password or enrollment). */
export async function activateUser(deps: AppDeps, user: UserRow, actor: Actor, via: "password" | "enrollment"): Promise<void> {
  if (user.status !== "pendingJoin") return;
  const now = deps.now();
  await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ status: "active", updatedAt: now })
      .where(and(eq(users.id, user.id), eq(users.status, "pendingJoin")))
      .returning({ id: users.id });
    if (row) await recordEvent(tx, { tenantId: user.tenantId, type: "user.activated", actor, userId: user.id, data: { via } }, now);
  });
}
