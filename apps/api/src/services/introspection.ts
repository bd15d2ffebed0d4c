/**
 * Answers the edge on a cache miss (RFC 7662 style) from Postgres, and re-fills the cache.
 * The re-fill goes through the cache's compare-and-set, so it can never overwrite a tombstone
 * written by a revocation that committed after this read.
 */
import { checkSessionAcceptance, type IntrospectionResponse } from "@sesame/core";
import { eq } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import { sessions, users } from "../db/schema.ts";
import { activeEntryFor, tombstoneFor } from "./cache-sync.ts";

export async function introspectSession(deps: AppDeps, sessionId: string): Promise<IntrospectionResponse> {
  const now = deps.now();
  const [row] = await deps.db
    .select({ session: sessions, userLocked: users.locked, userDeletedAt: users.deletedAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sessionId))
    .limit(1);
  if (!row) return { active: false, reason: "session_not_found" };
  const { session } = row;
  const acceptance = checkSessionAcceptance(session, now);
  // A locked or deleted user's sessions are already signed out; this guards the window in between.
  if (!acceptance.ok || row.userLocked || row.userDeletedAt) {
    const reason = acceptance.ok ? "session_revoked" : acceptance.reason;
    await writeQuietly(deps, () => deps.cache.put(tombstoneFor(session, now), now));
    return { active: false, reason };
  }
  const entry = activeEntryFor(session, deps.config.leaseSeconds, now);
  await writeQuietly(deps, () => deps.cache.put(entry, now));
  return {
    active: true,
    sid: session.id,
    sub: session.userId,
    tid: session.tenantId,
    gen: session.generation,
    groups: session.accessGroups,
    expiresAt: entry.expiresAt,
    leaseUntil: entry.leaseUntil,
  };
}

async function writeQuietly(deps: AppDeps, write: () => Promise<unknown>) {
  try {
    await write();
  } catch (error) {
    deps.logger.debug({ err: error }, "introspection cache re-fill failed");
  }
}
