/**
 * Reads of users and their sessions, and the user row lock every change of a user takes first.
 * The query builders are exported so the scale test can EXPLAIN exactly the SQL the procedures run.
 */
import type { User } from "@sesame/core";
import { and, asc, count, desc, eq, exists, gt, inArray, isNull, not, sql, type Placeholder, type SQL } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "../../db/client.ts";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { hotReads, isPool } from "../hot-reads.ts";
import { sessions, users, type UserRow } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { toPublicUser, type UserDerived } from "../mappers.ts";

/** Which of a tenant's users users.list counts and pages through. */
export interface UsersFilter {
  query?: string;
  locked?: boolean;
  /** Has a session the edge accepts now (ENROLLED, unexpired, not deleted), as `User.enrolled`. */
  enrolled?: boolean;
}

export interface ListUsersOptions extends UsersFilter {
  limit: number;
  skip: number;
}

/** `%`, `_` and `\` in a search are literal characters, not LIKE wildcards. */
const likeContains = (q: string) => `%${q.replace(/[\\%_]/g, "\\$&")}%`;

/** A session that makes its user `enrolled` at `now`: ENROLLED, not deleted, not expired. */
const isEnrollingSession = (now: Date | Placeholder) =>
  sql`(${sessions.state} = 'ENROLLED' and ${sessions.deletedAt} is null and ${sessions.expiresAt} > ${now instanceof Date ? now.toISOString() : now}::timestamptz)`;

/** A value now, or a placeholder filled at execution (the prepared reads in hot-reads.ts). */
type Value<T> = T | Placeholder;

/** Any of the user's sessions that makes them `enrolled` (users.list's filter). */
const enrollingSessionOf = (db: DbOrTx, now: Date) =>
  db
    .select({ one: sql`1` })
    .from(sessions)
    .where(and(eq(sessions.userId, users.id), eq(sessions.tenantId, users.tenantId), isEnrollingSession(now)));

/** The one `where` of users.list's page and total, so both always agree. */
function usersWhere(db: DbOrTx, tenantId: string, filter: UsersFilter, now: Date): SQL | undefined {
  const pattern = filter.query ? likeContains(filter.query) : null;
  return and(
    eq(users.tenantId, tenantId),
    isNull(users.deletedAt),
    // One lower-cased haystack per row: a single LIKE costs half of three ILIKEs. Still a scan of the
    // tenant's users; a pg_trgm index would make it indexable once embedded Postgres loads pg_trgm.
    pattern ? sql`lower(concat_ws(' ', ${users.username}, ${users.email}, ${users.firstName}, ${users.lastName})) like lower(${pattern})` : undefined,
    filter.locked === undefined ? undefined : eq(users.locked, filter.locked),
    // EXISTS stops at the first accepted session, probing sessions_user_created_idx per user.
    filter.enrolled === undefined ? undefined : filter.enrolled ? exists(enrollingSessionOf(db, now)) : not(exists(enrollingSessionOf(db, now))),
  );
}

/** One page of a tenant's users, oldest first; walks users_tenant_created_idx. */
export const usersPageQuery = (db: DbOrTx, tenantId: string, options: ListUsersOptions, now: Date) =>
  db
    .select()
    .from(users)
    .where(usersWhere(db, tenantId, options, now))
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(options.limit)
    .offset(options.skip);

export const usersCountQuery = (db: DbOrTx, tenantId: string, filter: UsersFilter, now: Date) =>
  db.select({ total: count() }).from(users).where(usersWhere(db, tenantId, filter, now));

/**
 * `enrolled` and `lastConnectedAt` for a page of users in one grouped query over
 * sessions_user_created_idx. Deleted sessions still count for lastConnectedAt: the user did connect.
 */
export const userDerivedQuery = (db: DbOrTx, tenantId: Value<string>, userIds: string[] | { one: Placeholder }, now: Date | Placeholder) =>
  db
    .select({
      userId: sessions.userId,
      enrolled: sql<boolean>`bool_or(${isEnrollingSession(now)})`,
      lastConnectedAt: sql<Date | null>`max(${sessions.lastConnectedAt})`.mapWith(sessions.lastConnectedAt),
    })
    .from(sessions)
    .where(and(eq(sessions.tenantId, tenantId), Array.isArray(userIds) ? inArray(sessions.userId, userIds) : eq(sessions.userId, userIds.one)))
    .groupBy(sessions.userId);

/** A user of this tenant that is not deleted. */
const liveUser = (tenantId: Value<string>, userId: Value<string>) => and(eq(users.id, userId), eq(users.tenantId, tenantId), isNull(users.deletedAt));

export const userByIdQuery = (db: DbOrTx, tenantId: Value<string>, userId: Value<string>) => db.select().from(users).where(liveUser(tenantId, userId)).limit(1);

export interface UserSessionsOptions {
  /** Only sessions the edge accepts now (ENROLLED, unexpired); otherwise every state. */
  activeAt?: Value<Date>;
}

/**
 * Which of a user's sessions the lists show: never the deleted ones (README.md, "Decisions" ›
 * Sessions in admin views) and, with `activeAt`, only those the edge accepts then.
 */
const listedSessionsOf = (userId: Value<string> | AnyPgColumn, tenantId: Value<string> | AnyPgColumn, options: UserSessionsOptions) =>
  and(
    eq(sessions.userId, userId),
    eq(sessions.tenantId, tenantId),
    isNull(sessions.deletedAt),
    options.activeAt ? and(eq(sessions.state, "ENROLLED"), gt(sessions.expiresAt, options.activeAt)) : undefined,
  );

/** A user's sessions, newest first (`listedSessionsOf`). */
export const userSessionsQuery = (db: DbOrTx, tenantId: Value<string>, userId: Value<string>, options: UserSessionsOptions = {}) =>
  db
    .select()
    .from(sessions)
    .where(listedSessionsOf(userId, tenantId, options))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));

/**
 * `userSessionsQuery` for a user that must be there (sessions.list), in one statement: the live user
 * left-joined to its listed sessions. No row: no such user in this tenant. One row whose session is
 * null: a user without sessions.
 */
export const liveUserSessionsQuery = (db: DbOrTx, tenantId: Value<string>, userId: Value<string>, options: UserSessionsOptions = {}) =>
  db
    .select({ userId: users.id, session: sessions })
    .from(users)
    .leftJoin(sessions, listedSessionsOf(users.id, users.tenantId, options))
    .where(liveUser(tenantId, userId))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));

/** The live sessions of several users of one tenant, each user's newest first (users.list with sessions). */
export const sessionsOfUsersQuery = (db: DbOrTx, tenantId: string, userIds: string[]) =>
  db
    .select()
    .from(sessions)
    .where(and(eq(sessions.tenantId, tenantId), inArray(sessions.userId, userIds), isNull(sessions.deletedAt)))
    .orderBy(asc(sessions.userId), desc(sessions.createdAt), desc(sessions.id));

async function loadDerived(db: DbOrTx, tenantId: string, userIds: string[], now: Date): Promise<Map<string, UserDerived>> {
  const derived = new Map<string, UserDerived>();
  if (userIds.length === 0) return derived;
  for (const row of await userDerivedQuery(db, tenantId, userIds, now)) {
    derived.set(row.userId, { enrolled: row.enrolled === true, lastConnectedAt: row.lastConnectedAt });
  }
  return derived;
}

const NO_SESSIONS: UserDerived = { enrolled: false, lastConnectedAt: null };

/** Public users for rows of one tenant, with their derived fields (one grouped query for all of them). */
export async function loadPublicUsers(db: DbOrTx, tenantId: string, rows: UserRow[], now: Date): Promise<User[]> {
  const derived = await loadDerived(
    db,
    tenantId,
    rows.map((r) => r.id),
    now,
  );
  return rows.map((r) => toPublicUser(r, derived.get(r.id) ?? NO_SESSIONS));
}

export async function loadPublicUser(db: DbOrTx, row: UserRow, now: Date): Promise<User> {
  const [user] = await loadPublicUsers(db, row.tenantId, [row], now);
  return user!;
}

/**
 * The public user by id (not deleted, in this tenant), or null: the row and its derived fields are
 * read together, one wait for Postgres instead of two in a row.
 */
export async function loadPublicUserById(db: Db, tenantId: string, userId: string, now: Date): Promise<User | null> {
  const reads = hotReads(db);
  const [[row], [derived]] = await Promise.all([reads.userById.execute({ tenantId, userId }), reads.userDerived.execute({ tenantId, userId, now: now.toISOString() })]);
  return row ? toPublicUser(row, derivedOf(derived)) : null;
}

/** The public user for a row already read (a user caller's own, callers.ts): one prepared read for its derived fields. */
export async function loadPublicUserOfRow(db: Db, row: UserRow, now: Date): Promise<User> {
  const [derived] = await hotReads(db).userDerived.execute({ tenantId: row.tenantId, userId: row.id, now: now.toISOString() });
  return toPublicUser(row, derivedOf(derived));
}

function derivedOf(row: { enrolled: boolean; lastConnectedAt: Date | null } | undefined): UserDerived {
  return row ? { enrolled: row.enrolled === true, lastConnectedAt: row.lastConnectedAt } : NO_SESSIONS;
}

/** The user (not deleted) in this tenant, or NOT_FOUND — the same answer for another tenant's id. */
export async function findUser(db: DbOrTx, tenantId: string, userId: string): Promise<UserRow> {
  // On the pool, the prepared read (hot-reads.ts); in a transaction, the same query built there.
  const [row] = isPool(db) ? await hotReads(db).userById.execute({ tenantId, userId }) : await userByIdQuery(db, tenantId, userId);
  if (!row) throw notFound("User");
  return row;
}

/**
 * `findUser` with the row locked for the rest of the transaction. Every change of a user and
 * every session start take this lock first, so a lock or delete and a sign-in never interleave.
 */
export async function lockUserRow(tx: Tx, tenantId: string, userId: string): Promise<UserRow> {
  const [row] = await userByIdQuery(tx, tenantId, userId).for("update");
  if (!row) throw notFound("User");
  return row;
}
