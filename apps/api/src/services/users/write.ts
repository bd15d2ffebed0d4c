/**
 * Creating and changing users (`users.create`, `users.update`, `users.addToGroups`,
 * `users.removeFromGroups`); locking and deleting are in lifecycle.ts. How `status` is chosen and
 * what a password set by an admin does: README.md, "Decisions" › Users and › Admin password reset.
 */
import { usernameKey, type RevocationReceipt, type User, type UserStatus } from "@sesame/core";
import type { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { sessions, users } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError } from "../../lib/errors.ts";
import { hashPassword } from "../../lib/passwords.ts";
import { isUniqueViolation, violatedConstraint } from "../../lib/pg-errors.ts";
import { recordEvent } from "../events/record-events.ts";
import { applyGroupChange, type GroupChange } from "../group-change.ts";
import { toPublicUser } from "../mappers.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { AdminScope } from "../scope.ts";
import { runInTx, type TxContext } from "../transaction.ts";
import { loadPublicUser, lockUserRow } from "./queries.ts";

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

export async function createUser(deps: AppDeps, scope: AdminScope, input: CreateUserInput): Promise<User> {
  // Hashing takes tens of milliseconds of CPU: do it before taking a connection.
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return withConflicts(() =>
    runInTx(deps, async ({ tx, now }) => {
      const [row] = await tx
        .insert(users)
        .values({
          tenantId: scope.tenantId,
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
      await recordEvent(tx, { tenantId: scope.tenantId, type: "user.created", actor: scope.actor, userId: user.id, data: { username: user.username, status: user.status } }, now);
      return toPublicUser(user, { enrolled: false, lastConnectedAt: null });
    }),
  );
}

/** Changes a user; setting a password signs out every session of the user (an admin reset). */
export async function updateUser(deps: AppDeps, scope: AdminScope, input: UpdateUserInput): Promise<UpdatedUser> {
  const { userId, password, ...fields } = input;
  const passwordHash = password ? await hashPassword(password) : undefined;
  const write = async ({ tx, now }: TxContext): Promise<User> => {
    const current = await lockUserRow(tx, scope.tenantId, userId);
    const changed = [...Object.keys(fields).filter((k) => fields[k as keyof typeof fields] !== undefined), ...(passwordHash ? ["password"] : [])];
    if (changed.length === 0) return loadPublicUser(tx, current, now);
    const [row] = await tx
      .update(users)
      .set({
        ...fields,
        ...(fields.username !== undefined ? { usernameKey: usernameKey(fields.username) } : {}),
        ...(fields.groups ? { groups: dedupe(fields.groups) } : {}),
        // A new address is not verified, whatever the old one was.
        ...(fields.email !== undefined && fields.email !== current.email ? { emailVerifiedAt: null } : {}),
        ...(passwordHash ? { passwordHash } : {}),
        // Getting a password makes a pending user able to sign in, unless the caller set a status.
        ...(passwordHash && !fields.status && current.status === "pendingJoin" ? { status: "active" as const } : {}),
        updatedAt: now,
      })
      .where(eq(users.id, userId))
      .returning();
    await recordEvent(tx, { tenantId: scope.tenantId, type: "user.updated", actor: scope.actor, userId, data: { fields: changed } }, now);
    return loadPublicUser(tx, row!, now);
  };
  if (!passwordHash) return withConflicts(() => runInTx(deps, write));
  const { value, receipt } = await withConflicts(() =>
    commitSessionChange(deps, async (change) => {
      const user = await write(change);
      await change.apply(scope, eq(sessions.userId, userId), { type: "lock", cause: "password_change" });
      return user;
    }),
  );
  return { ...value, revocation: receipt };
}

export interface UserGroupsInput {
  userId: string;
  groups: string[];
}

/** Adds to the user's default groups (those new sessions start with); existing sessions keep theirs. */
export const addUserToGroups = (deps: AppDeps, scope: AdminScope, input: UserGroupsInput) => changeUserGroups(deps, scope, input.userId, { add: input.groups });

export const removeUserFromGroups = (deps: AppDeps, scope: AdminScope, input: UserGroupsInput) => changeUserGroups(deps, scope, input.userId, { remove: input.groups });

function changeUserGroups(deps: AppDeps, scope: AdminScope, userId: string, change: GroupChange): Promise<User> {
  return runInTx(deps, async ({ tx, now }) => {
    const current = await lockUserRow(tx, scope.tenantId, userId);
    const groups = applyGroupChange(current.groups, change);
    if (groups.length === current.groups.length && groups.every((g, i) => g === current.groups[i])) {
      return loadPublicUser(tx, current, now);
    }
    const [row] = await tx.update(users).set({ groups, updatedAt: now }).where(eq(users.id, userId)).returning();
    await recordEvent(
      tx,
      { tenantId: scope.tenantId, type: "user.groups_changed", actor: scope.actor, userId, data: { add: change.add ?? [], remove: change.remove ?? [], groups } },
      now,
    );
    return loadPublicUser(tx, row!, now);
  });
}

const dedupe = (groups: string[]) => [...new Set(groups)];
