/** `users.get` and `users.list`. */
import type { Session, User } from "@sesame/core";
import type { AppDeps } from "../../deps.ts";
import { toPublicSession } from "../mappers.ts";
import type { AdminScope } from "../scope.ts";
import { findUser, loadPublicUser, loadPublicUsers, userSessionsQuery, usersCountQuery, usersPageQuery, type ListUsersOptions } from "./queries.ts";

/** The user with every live (not deleted) session, in any state. */
export async function getUser(deps: AppDeps, scope: AdminScope, input: { userId: string }): Promise<User & { sessions: Session[] }> {
  const { db } = deps;
  const row = await findUser(db, scope.tenantId, input.userId);
  const [sessionRows, user] = await Promise.all([userSessionsQuery(db, scope.tenantId, input.userId), loadPublicUser(db, row, deps.now())]);
  return { ...user, sessions: sessionRows.map((s) => toPublicSession(s)) };
}

export async function listUsers(deps: AppDeps, scope: AdminScope, input: ListUsersOptions): Promise<{ total: number; count: number; more: boolean; objects: User[] }> {
  const { db } = deps;
  const now = deps.now();
  const [rows, [counted]] = await Promise.all([usersPageQuery(db, scope.tenantId, input, now), usersCountQuery(db, scope.tenantId, input, now)]);
  const total = counted?.total ?? 0;
  const objects = await loadPublicUsers(db, scope.tenantId, rows, now);
  return { total, count: objects.length, more: input.skip + objects.length < total, objects };
}
