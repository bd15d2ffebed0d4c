/** `sessions.list` and `sessions.get`. */
import type { Session } from "@sesame/core";
import type { AppDeps } from "../../deps.ts";
import { toPublicSession } from "../mappers.ts";
import type { AdminScope } from "../scope.ts";
import { hotReads } from "../hot-reads.ts";
import { requireUser } from "../users/queries.ts";
import { findSession, type SessionRef } from "./find-session.ts";

/** By default the sessions the edge accepts now; `includeInactive` adds signed-out and expired ones. */
export async function listSessions(deps: AppDeps, scope: AdminScope, input: { userId: string; includeInactive?: boolean }): Promise<Session[]> {
  // Sent together: the sessions query is tenant-scoped, and NOT_FOUND still wins when the user is not here.
  const [, rows] = await Promise.all([
    requireUser(deps.db, scope.tenantId, input.userId),
    input.includeInactive
      ? hotReads(deps.db).userSessions.execute({ tenantId: scope.tenantId, userId: input.userId })
      : hotReads(deps.db).userActiveSessions.execute({ tenantId: scope.tenantId, userId: input.userId, activeAt: deps.now().toISOString() }),
  ]);
  return rows.map((r) => toPublicSession(r));
}

/** Admins see the provider tokens (decrypted); no other view does. */
export async function getSession(deps: AppDeps, scope: AdminScope, input: SessionRef): Promise<Session> {
  const row = await findSession(deps, deps.db, scope.tenantId, input);
  return toPublicSession(row, { providerTokensKey: deps.config.encryptionKey });
}
