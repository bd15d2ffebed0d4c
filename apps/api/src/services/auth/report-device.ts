/**
 * `auth.reportDevice`: the device reports what it is (JourneyApps' `container`, `runtime`,
 * `device.id`, `label`, `sync_status.last_full_sync`) on its own session, and the report marks the
 * session connected (`lastConnectedAt`), as a refresh does. The edge sees none of these fields, so
 * the cache entry is left as it is; `version` still moves, as on every change of a session. Not
 * recorded as an event: a device reports on every connect, like a refresh.
 */
import type { DeviceReport, Session } from "@sesame/core";
import { and, eq, sql } from "drizzle-orm";
import { sessions, type SessionRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError } from "../../lib/errors.ts";
import { isUniqueViolation } from "../../lib/pg-errors.ts";
import { toPublicSession } from "../mappers.ts";
import type { UserScope } from "../scope.ts";
import { runInTx } from "../transaction.ts";

export async function reportDevice(deps: AppDeps, scope: UserScope, input: DeviceReport): Promise<{ session: Session }> {
  try {
    const row = await runInTx(deps, async ({ tx, now }) => {
      const own = and(eq(sessions.id, scope.sessionId), eq(sessions.userId, scope.userId), eq(sessions.tenantId, scope.tenantId));
      const [current] = await tx.select().from(sessions).where(own).for("update").limit(1);
      if (!current) throw apiError("UNAUTHORIZED", "Session is no longer valid");
      const [updated] = await tx
        .update(sessions)
        .set({ ...reportedColumns(current, input), lastConnectedAt: now, updatedAt: now, version: sql`${sessions.version} + 1` })
        .where(own)
        .returning();
      return updated!;
    });
    return { session: toPublicSession(row, { currentSessionId: scope.sessionId }) };
  } catch (error) {
    // Another live session of this user already holds that device id (sessions_user_device_idx).
    if (isUniqueViolation(error)) throw apiError("CONFLICT", "Another session of this user has this device id", "device.id");
    throw error;
  }
}

/** The columns a report changes: only what it names; a partial container keeps the parts not named. */
function reportedColumns(current: SessionRow, input: DeviceReport): Partial<SessionRow> {
  const columns: Partial<SessionRow> = {};
  if (input.device) columns.deviceId = input.device.id;
  if (input.label !== undefined) columns.label = input.label;
  if (input.container) {
    const before = current.container ?? { version: null, bundleId: null, platform: null };
    columns.container = {
      version: input.container.version ?? before.version,
      bundleId: input.container.bundleId ?? before.bundleId,
      platform: input.container.platform ?? before.platform,
    };
  }
  if (input.runtime) columns.runtime = { version: input.runtime.version ?? current.runtime?.version ?? null };
  if (input.syncStatus) columns.lastFullSync = new Date(input.syncStatus.lastFullSync);
  return columns;
}
