import { updatedUserSchema, userRevocationSchema, userSchema, userWithSessionsSchema, usersPageSchema } from "@sesame/core";
import { z } from "zod";
import { resetUserFactors } from "../services/mfa/factors.ts";
import { deleteUser, lockUser, unlockUser } from "../services/users/lifecycle.ts";
import { getUser, listUsers } from "../services/users/read.ts";
import { addUserToGroups, createUser, removeUserFromGroups, updateUser } from "../services/users/write.ts";
import { adminProcedure, router } from "../trpc.ts";
import { email, groupList, groupsInput, jsonObject, pageLimit, password, personName, userStatus, username, uuid } from "./inputs.ts";

export const userRefInput = z.object({ userId: uuid }).strict();
export const userGroupsInput = z.object({ userId: uuid, groups: groupsInput }).strict();

/** The writable fields of a user: required as shown on create, all optional on update. */
const userFields = z.object({
  username,
  email: email.nullish(),
  password: password.optional(),
  firstName: personName.nullish(),
  lastName: personName.nullish(),
  profile: jsonObject.optional(),
  groups: groupList.optional(),
  config: jsonObject.optional(),
  status: userStatus.optional(),
});
export const createUserInput = userFields.strict();
export const updateUserInput = userFields.partial().extend({ userId: uuid }).strict();

/** Paging and filters; the numbers and flags are what a REST query string carries too (rest/query.ts). */
export const listUsersFields = {
  limit: pageLimit(1000).default(50),
  skip: z.number().int().min(0).max(10_000_000).default(0),
  locked: z.boolean().optional(),
  enrolled: z.boolean().optional(),
  /** Each user with its live sessions (as `users.get`), loaded in one query for the page. */
  includeSessions: z.boolean().optional(),
};
export const listUsersInput = z
  .object({ ...listUsersFields, query: z.string().trim().min(1).max(200).optional() })
  .strict()
  .default({ limit: 50, skip: 0 });

export const lockUserInput = z
  .object({ userId: uuid, wipe: z.boolean({ error: "is required: true signs sessions out with a wipe (RESET), false without (LOCKED)" }) })
  .strict();

export const usersRouter = router({
  create: adminProcedure.input(createUserInput).output(userSchema).mutation(({ ctx, input }) => createUser(ctx.deps, ctx.scope, input)),
  update: adminProcedure.input(updateUserInput).output(updatedUserSchema).mutation(({ ctx, input }) => updateUser(ctx.deps, ctx.scope, input)),
  get: adminProcedure.input(userRefInput).output(userWithSessionsSchema).query(({ ctx, input }) => getUser(ctx.deps, ctx.scope, input)),
  list: adminProcedure.input(listUsersInput).output(usersPageSchema).query(({ ctx, input }) => listUsers(ctx.deps, ctx.scope, input)),
  delete: adminProcedure.input(userRefInput).output(userRevocationSchema).mutation(({ ctx, input }) => deleteUser(ctx.deps, ctx.scope, input)),
  lock: adminProcedure.input(lockUserInput).output(userRevocationSchema).mutation(({ ctx, input }) => lockUser(ctx.deps, ctx.scope, input)),
  unlock: adminProcedure.input(userRefInput).output(userSchema).mutation(({ ctx, input }) => unlockUser(ctx.deps, ctx.scope, input)),
  addToGroups: adminProcedure.input(userGroupsInput).output(userSchema).mutation(({ ctx, input }) => addUserToGroups(ctx.deps, ctx.scope, input)),
  /** Removes the user's second factors and recovery codes and signs every session out (receipt). */
  resetFactors: adminProcedure.input(userRefInput).output(userRevocationSchema).mutation(({ ctx, input }) => resetUserFactors(ctx.deps, ctx.scope, input)),
  removeFromGroups: adminProcedure.input(userGroupsInput).output(userSchema).mutation(({ ctx, input }) => removeUserFromGroups(ctx.deps, ctx.scope, input)),
});
