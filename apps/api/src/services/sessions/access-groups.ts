/**
 * `sessions.addAccessGroups` and `sessions.removeAccessGroups`: on the user's active sessions
 * (ENROLLED, unexpired), through SessionChange so the edge sees the change on the next request.
 */
import type { RevocationReceipt, Session } from "@sesame/core";
import { and, eq, gt } from "drizzle-orm";
import { sessions } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import type { GroupChange } from "../group-change.ts";
import { toPublicSession } from "../mappers.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { AdminScope } from "../scope.ts";
import { findUser } from "../users/queries.ts";

export interface SessionGroupsInput {
  userId: string;
  groups: string[];
}

/** Answers the sessions that changed and the receipt. */
type ChangedSessions = { sessions: Session[]; revocation: RevocationReceipt };

export const addSessionAccessGroups = (deps: AppDeps, scope: AdminScope, input: SessionGroupsInput) => changeAccessGroups(deps, scope, input.userId, { add: input.groups });

export const removeSessionAccessGroups = (deps: AppDeps, scope: AdminScope, input: SessionGroupsInput) =>
  changeAccessGroups(deps, scope, input.userId, { remove: input.groups });

async function changeAccessGroups(deps: AppDeps, scope: AdminScope, userId: string, groups: GroupChange): Promise<ChangedSessions> {
  const { value, receipt } = await commitSessionChange(deps, async (change) => {
    await findUser(change.tx, scope.tenantId, userId);
    return change.changeGroups(scope, and(eq(sessions.userId, userId), gt(sessions.expiresAt, change.now)), groups);
  });
  return { sessions: value.map((r) => toPublicSession(r)), revocation: receipt };
}
