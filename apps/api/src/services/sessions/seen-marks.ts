/**
 * "Last seen" from edge traffic: the edges leave coarse marks in the cache (at most one a minute per
 * session, see apps/edge/src/seen.ts); the API's worker pops them in batches and moves
 * `sessions.last_connected_at` forward with one statement per batch. So `sessions.list`, the console
 * and the idle timeout see real activity without a database write per request.
 */
import { sql } from "drizzle-orm";
import type { SeenMark } from "@sesame/cache";
import { sessions } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Folds every mark waiting in the cache (up to `maxBatches` batches a pass). Returns how many marks
 * it took. A batch the database refuses goes back to the cache (without overwriting newer marks).
 */
export async function foldSeenMarks(deps: AppDeps, batchSize = 500, maxBatches = 20): Promise<number> {
  let taken = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const marks = await deps.cache.takeSeen(batchSize);
    if (marks.length === 0) break;
    taken += marks.length;
    try {
      await applySeenMarks(deps, marks);
    } catch (error) {
      await deps.cache.markSeen(marks, { onlyNew: true });
      throw error;
    }
    if (marks.length < batchSize) break;
  }
  return taken;
}

/**
 * One statement for the batch; a mark only ever moves `last_connected_at` forward. Not a change:
 * `version` stays. The sessions are locked in id order first, as session changes lock them
 * (session-change.ts), so the fold waits for such a change, or it for the fold, and never both.
 */
async function applySeenMarks(deps: AppDeps, marks: SeenMark[]): Promise<void> {
  // Session ids come from verified tokens; anything else in the set is not worth failing the batch over.
  const valid = marks.filter((mark) => UUID.test(mark.sessionId) && !Number.isNaN(mark.seenAt.getTime()));
  if (valid.length === 0) return;
  const rows = sql.join(
    valid.map((mark) => sql`(${mark.sessionId}::uuid, ${mark.seenAt.toISOString()}::timestamptz)`),
    sql`, `,
  );
  await deps.db.execute(sql`
    with seen(id, seen_at) as (values ${rows}),
    locked as materialized (select s.id from ${sessions} s where s.id in (select id from seen) order by s.id for update)
    update ${sessions} set last_connected_at = seen.seen_at
    from seen, locked
    where ${sessions.id} = locked.id and locked.id = seen.id
      and (${sessions.lastConnectedAt} is null or ${sessions.lastConnectedAt} < seen.seen_at)`);
}
