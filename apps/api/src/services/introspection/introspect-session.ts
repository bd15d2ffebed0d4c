/**
 * Answers the edge on a cache miss (RFC 7662 style) from Postgres, and re-fills the cache.
 * The verdict is core's `checkSessionAcceptance`, the same the API applies to its own callers.
 * The re-fill goes through the cache's compare-and-set, so it can never overwrite a tombstone
 * written by a revocation that committed after this read.
 */
import { activeCacheEntry, checkSessionAcceptance, tombstoneCacheEntry, type IntrospectionResponse } from "@sesame/core";
import { eq } from "drizzle-orm";
import { sessions } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { refillCacheQuietly } from "../revocation/cache-refill.ts";
import { acceptanceInputOf, sessionStandingQuery } from "../sessions/standing-query.ts";

export async function introspectSession(deps: AppDeps, { sessionId }: { sessionId: string }): Promise<IntrospectionResponse> {
  const now = deps.now();
  const [row] = await sessionStandingQuery(deps.db).where(eq(sessions.id, sessionId)).limit(1);
  if (!row) return { active: false, reason: "session_not_found" };
  const { session } = row;
  const verdict = checkSessionAcceptance(acceptanceInputOf(row), now);
  if (!verdict.ok) {
    await refillCacheQuietly(deps, tombstoneCacheEntry(session, verdict.reason, now), now);
    return { active: false, reason: verdict.reason };
  }
  const entry = activeCacheEntry(session, { leaseSeconds: deps.config.leaseSeconds, now });
  await refillCacheQuietly(deps, entry, now);
  return { active: true, entry };
}
