/**
 * Creating and changing users. Sign-outs (delete, lock) live in user-lifecycle.ts; reads in
 * user-queries.ts.
 *
 * Status: an explicit `status` wins. Otherwise a user created (or given a password) with a
 * password can sign in at once, so is `active`; one without stays `pendingJoin` until it first signs
 * in itself (auth.enroll or auth.login: auth-users.ts `activateUser`). A session an admin starts for
 * the user (`sessions.create`) does not count as the user joining.
 */
import { usernameKey, type RevocationReceipt, type User, type UserStatus } from "@sesame/core";
import type { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import type { Tx } from "../../db/client.ts";
import { sessions, users, type UserRow } from "../../db/schema.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import { hashPassword } from "../../lib/passwords.ts";
import { isUniqueViolation, violatedConstraint } from "../../lib/pg-errors.ts";
import { recordEvent } from "../events/record-events.ts";
import type { Actor } from "../scope.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import { toPublicUser } from "../mappers.ts";
import { toPublicUserWithDerived, userByIdQuery } from "./queries.ts";

export interface CreateUserInput {
  username: string;
  email?: string | null;
  password?: string;
  firstName?: string | null;
  lastName?: string | null;
  profile?: Record<string, unknown>;
  groups?: string[];
  config?: Record<string, unknown>;
  status?: UserStatus;
}

export interface UpdateUserInput extends Partial<CreateUserInput> {
  userId: string;
}

/** `users.update`'s answer: the user, plus the sign-out receipt when a password was set. */
export type UpdatedUser = User & { revocation?: RevocationReceipt };

/** A duplicate username or email, named by the unique index Postgres reports. */
function userConflict(error: unknown): TRPCError | null {
  if (!isUniqueViolation(error)) return null;
  return violatedConstraint(error) === "users_tenant_email_idx"
    ? apiError("CONFLICT", "A user with this email already exists", "email")
    : apiError("CONFLICT", "A user with this username already exists", "username");
}

async function withConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw userConflict(error) ?? error;
  }
}

export async function createUser(deps: AppDeps, tenantId: string, input: CreateUserInput, actor: Actor): Promise<User> {
  // Hashing takes tens of milliseconds of CPU: do it before taking a connection.
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const now = deps.now();
  return withConflicts(() =>
    deps.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({
          tenantId,
          username: input.username,
          usernameKey: usernameKey(input.username),
          email: input.email ?? null,
          passwordHash,
          firstName: input.firstName ?? null,
          lastName: input.lastName ?? null,
          status: input.status ?? (passwordHash ? "active" : "pendingJoin"),
          profile: input.profile ?? {},
          groups: dedupe(input.groups ?? []),
          config: input.config ?? {},
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      const user = row!;
      await recordEvent(tx, { tenantId, type: "user.created", actor, userId: user.id, data: { username: user.username, status: user.status } }, now);
      return toPublicUser(user, { enrolled: false, lastConnectedAt: null });
    }),
  );
}

/** Locks the user row for the rest of the transaction; NOT_FOUND for deleted users and other tenants' ids. */
export async function lockUserRow(tx: Tx, tenantId: string, userId: string): Promise<UserRow> {
  const [row] = await userByIdQuery(tx, tenantId, userId).for("update");
  if (!row) throw notFound("User");
  return row;
}

/**
 * Changes a user. Setting a password is an admin reset: like `auth.changePassword` it signs out
 * every session of the user (cause `password_change`), so whoever knew the old password is out,
 * and the answer carries the receipt as `revocation` beside the user's fields.
 */
export async function updateUser(deps: AppDeps, tenantId: string, input: UpdateUserInput, actor: Actor): Promise<UpdatedUser> {
  const { userId, password, ...fields } = input;
  const passwordHash = password ? await hashPassword(password) : undefined;
  const write = async (tx: Tx, now: Date): Promise<User> => {
    const current = await lockUserRow(tx, tenantId, userId);
    const changed = [...Object.keys(fields).filter((k) => fields[k as keyof typeof fields] !== undefined), ...(passwordHash ? ["password"] : [])];
    if (changed.length === 0) return toPublicUserWithDerived(tx, current, now);
    const [row] = await tx
      .update(users)
      .set({
        ...fields,
        ...(fields.username !== undefined ? { usernameKey: usernameKey(fields.username) } : {}),
        ...(fields.groups ? { groups: dedupe(fields.groups) } : {}),
        ...(passwordHash ? { passwordHash } : {}),
        // Getting a password makes a pending user able to sign in, unless the caller set a status.
        ...(passwordHash && !fields.status && current.status === "pendingJoin" ? { status: "active" as const } : {}),
        updatedAt: now,
      })
      .where(eq(users.id, userId))
      .returning();
    await recordEvent(tx, { tenantId, type: "user.updated", actor, userId, data: { fields: changed } }, now);
    return toPublicUserWithDerived(tx, row!, now);
  };
  if (!passwordHash) return withConflicts(() => deps.db.transaction((tx) => write(tx, deps.now())));
  const { value, receipt } = await withConflicts(() =>
    commitSessionChange(deps, async (tx, change) => {
      const user = await write(tx, change.now);
      await change.apply(tenantId, eq(sessions.userId, userId), { type: "lock", cause: "password_change" }, actor);
      return user;
    }),
  );
  return { ...value, revocation: receipt };
}

/** Changes the user's default groups (those new sessions start with); existing sessions keep theirs. */
export async function changeUserGroups(
  deps: AppDeps,
  tenantId: string,
  input: { userId: string; add?: string[]; remove?: string[] },
  actor: Actor,
): Promise<User> {
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const current = await lockUserRow(tx, tenantId, input.userId);
    const next = new Set(current.groups);
    for (const g of input.add ?? []) next.add(g);
    for (const g of input.remove ?? []) next.delete(g);
    const groups = [...next];
    if (groups.length === current.groups.length && groups.every((g, i) => g === current.groups[i])) {
      return toPublicUserWithDerived(tx, current, now);
    }
    const [row] = await tx.update(users).set({ groups, updatedAt: now }).where(eq(users.id, input.userId)).returning();
    await recordEvent(
      tx,
      { tenantId, type: "user.groups_changed", actor, userId: input.userId, data: { add: input.add ?? [], remove: input.remove ?? [], groups } },
      now,
    );
    return toPublicUserWithDerived(tx, row!, now);
  });
}

const dedupe = (groups: string[]) => [...new Set(groups)];
