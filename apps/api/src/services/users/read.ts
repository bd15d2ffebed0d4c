/** `users.get` and `users.list`. */
import type { Session, User } from "@sesame/core";
import type { AppDeps } from "../../deps.ts";
import { notFound } from "../../lib/errors.ts";
import { hotReads } from "../hot-reads.ts";
import { toPublicSession } from "../mappers.ts";
import type { AdminScope } from "../scope.ts";
import { loadPublicUserById, loadPublicUsers, sessionsOfUsersQuery, usersCountQuery, usersPageQuery, type ListUsersOptions } from "./queries.ts";

/** The user with every live (not deleted) session, in any state. */
export async function getUser(deps: AppDeps, scope: AdminScope, input: { userId: string }): Promise<User & { sessions: Session[] }> {
  // Sent together (one wait for Postgres); the sessions query is tenant-scoped, so reading it for
  // a user that turns out not to exist here reveals nothing.
  const [user, sessionRows] = await Promise.all([loadPublicUserById(deps.db, scope.tenantId, input.userId, deps.now()), hotReads(deps.db).userSessions.execute({ tenantId: scope.tenantId, userId: input.userId })]);
  if (!user) throw notFound("User");
  return { ...user, sessions: sessionRows.map((s) => toPublicSession(s)) };
}

/** A page of users; with `includeSessions`, each with its live sessions (one more query for the page). */
export async function listUsers(
  deps: AppDeps,
  scope: AdminScope,
  input: ListUsersOptions & { includeSessions?: boolean },
): Promise<{ total: number; count: number; more: boolean; objects: (User & { sessions?: Session[] })[] }> {
  const { db } = deps;
  const now = deps.now();
  const [rows, [counted]] = await Promise.all([usersPageQuery(db, scope.tenantId, input, now), usersCountQuery(db, scope.tenantId, input, now)]);
  const total = counted?.total ?? 0;
  const users = await loadPublicUsers(db, scope.tenantId, rows, now);
  const objects = input.includeSessions ? await withSessions(deps, scope.tenantId, users) : users;
  return { total, count: objects.length, more: input.skip + objects.length < total, objects };
}

async function withSessions(deps: AppDeps, tenantId: string, users: User[]): Promise<(User & { sessions: Session[] })[]> {
  const byUser = new Map<string, Session[]>(users.map((u) => [u.id, []]));
  if (users.length > 0) {
    for (const row of await sessionsOfUsersQuery(deps.db, tenantId, [...byUser.keys()])) byUser.get(row.userId)?.push(toPublicSession(row));
  }
  return users.map((u) => ({ ...u, sessions: byUser.get(u.id) ?? [] }));
}
