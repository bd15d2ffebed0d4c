/** `sessions.list` and `sessions.get`. */
import type { Session } from "@sesame/core";
import type { AppDeps } from "../../deps.ts";
import { toPublicSession } from "../mappers.ts";
import type { AdminScope } from "../scope.ts";
import { hotReads } from "../hot-reads.ts";
import { notFound } from "../../lib/errors.ts";
import { findSession, type SessionRef } from "./find-session.ts";

/** By default the sessions the edge accepts now; `includeInactive` adds signed-out and expired ones. */
export async function listSessions(deps: AppDeps, scope: AdminScope, input: { userId: string; includeInactive?: boolean }): Promise<Session[]> {
  const reads = hotReads(deps.db);
  // One statement: the user left-joined to its sessions, so a user that is not here is NOT_FOUND.
  const rows = input.includeInactive
    ? await reads.liveUserSessions.execute({ tenantId: scope.tenantId, userId: input.userId })
    : await reads.liveUserActiveSessions.execute({ tenantId: scope.tenantId, userId: input.userId, activeAt: deps.now().toISOString() });
  if (rows.length === 0) throw notFound("User");
  return rows.flatMap((row) => (row.session ? [toPublicSession(row.session)] : []));
}

/** Admins see the provider tokens (decrypted); no other view does. */
export async function getSession(deps: AppDeps, scope: AdminScope, input: SessionRef): Promise<Session> {
  const row = await findSession(deps, deps.db, scope.tenantId, input);
  return toPublicSession(row, { providerTokensKey: deps.config.encryptionKey });
}
