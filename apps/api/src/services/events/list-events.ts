/**
 * The tenant's audit log, newest first (as Stripe's and Auth0's event lists are). The cursor is the
 * `seq` of the last event returned, an opaque string to clients: the next page holds the events
 * before it, so events written while paging never shift a page.
 */
import type { SesameEvent } from "@sesame/core";
import { and, desc, eq, lt } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { events } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { toPublicEvent } from "../mappers.ts";
import type { AdminScope } from "../scope.ts";

export interface ListEventsOptions {
  userId?: string;
  sessionId?: string;
  type?: string;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

/** Fetches one row more than the page, to know whether there is a next one. */
export const eventsPageQuery = (db: DbOrTx, tenantId: string, options: ListEventsOptions) =>
  db
    .select()
    .from(events)
    .where(
      and(
        eq(events.tenantId, tenantId),
        options.userId ? eq(events.userId, options.userId) : undefined,
        options.sessionId ? eq(events.sessionId, options.sessionId) : undefined,
        options.type ? eq(events.type, options.type) : undefined,
        options.cursor ? lt(events.seq, Number(options.cursor)) : undefined,
      ),
    )
    .orderBy(desc(events.seq))
    .limit(options.limit + 1);

export async function listEvents(deps: AppDeps, scope: AdminScope, input: ListEventsOptions): Promise<{ objects: SesameEvent[]; nextCursor: string | null }> {
  const rows = await eventsPageQuery(deps.db, scope.tenantId, input);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { objects: page.map(toPublicEvent), nextCursor: rows.length > input.limit && last ? String(last.seq) : null };
}
