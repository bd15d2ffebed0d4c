/**
 * A session with what core's acceptance policy (`checkSessionAcceptance`) needs beside it: its
 * user's standing and its tenant's settings. User callers, introspection and `auth.refresh` all
 * read a session this way, so they judge it on the same facts.
 */
import type { SessionAcceptanceInput } from "@sesame/core";
import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { sessions, tenants, users, type TenantRow } from "../../db/schema.ts";

/**
 * Add `.where(…)` (and `.for(…)`, `.limit(…)`) to pick the session. The whole user row comes
 * along, so a user caller's own reads (`auth.me`) need no second trip for it.
 */
export const sessionStandingQuery = (db: DbOrTx) =>
  db
    .select({ session: sessions, user: users, settings: tenants.settings })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(tenants, eq(tenants.id, sessions.tenantId));

export function acceptanceInputOf(row: Pick<SessionAcceptanceInput, "session" | "user"> & { settings: TenantRow["settings"] }): SessionAcceptanceInput {
  return { session: row.session, user: row.user, idleTimeoutSeconds: row.settings.sessionIdleTimeoutSeconds };
}
