/**
 * Answers the edge on a cache miss (RFC 7662 style) from Postgres, and re-fills the cache.
 * The verdict is core's `checkSessionAcceptance`, the same the API applies to its own callers.
 * The re-fill goes through the cache's compare-and-set, so it can never overwrite a tombstone
 * written by a revocation that committed after this read.
 */
import { activeCacheEntry, activeIntrospectionAnswer, checkSessionAcceptance, tombstoneCacheEntry, type IntrospectionResponse } from "@sesame/core";
import { eq } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import { sessions, tenants, users } from "../../db/schema.ts";

export async function introspectSession(deps: AppDeps, sessionId: string): Promise<IntrospectionResponse> {
  const now = deps.now();
  const [row] = await deps.db
    .select({ session: sessions, userLocked: users.locked, userDeletedAt: users.deletedAt, settings: tenants.settings })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(tenants, eq(tenants.id, sessions.tenantId))
    .where(eq(sessions.id, sessionId))
    .limit(1);
  if (!row) return { active: false, reason: "session_not_found" };
  const { session } = row;
  const verdict = checkSessionAcceptance(
    { session, user: { locked: row.userLocked, deletedAt: row.userDeletedAt }, idleTimeoutSeconds: row.settings.sessionIdleTimeoutSeconds },
    now,
  );
  if (!verdict.ok) {
    await writeQuietly(deps, () => deps.cache.put(tombstoneCacheEntry(session, verdict.reason, now), now));
    return { active: false, reason: verdict.reason };
  }
  const entry = activeCacheEntry(session, { leaseSeconds: deps.config.leaseSeconds, now });
  await writeQuietly(deps, () => deps.cache.put(entry, now));
  return activeIntrospectionAnswer(entry);
}

async function writeQuietly(deps: AppDeps, write: () => Promise<unknown>) {
  try {
    await write();
  } catch (error) {
    deps.logger.debug({ err: error }, "introspection cache re-fill failed");
  }
}
