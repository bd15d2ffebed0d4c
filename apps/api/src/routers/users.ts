import { z } from "zod";
import { deleteUser, lockUser, unlockUser } from "../services/users/lifecycle.ts";
import { getUser, listUsers } from "../services/users/read.ts";
import { addUserToGroups, createUser, removeUserFromGroups, updateUser } from "../services/users/write.ts";
import { adminProcedure, router } from "../trpc.ts";
import { email, groupList, groupsInput, jsonObject, pageLimit, password, personName, userStatus, username, uuid } from "./inputs.ts";

const userRef = z.object({ userId: uuid }).strict();
const groupsChange = z.object({ userId: uuid, groups: groupsInput }).strict();

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

export const usersRouter = router({
  create: adminProcedure.input(userFields.strict()).mutation(({ ctx, input }) => createUser(ctx.deps, ctx.scope, input)),
  update: adminProcedure.input(userFields.partial().extend({ userId: uuid }).strict()).mutation(({ ctx, input }) => updateUser(ctx.deps, ctx.scope, input)),
  get: adminProcedure.input(userRef).query(({ ctx, input }) => getUser(ctx.deps, ctx.scope, input)),
  list: adminProcedure
    .input(
      z
        .object({
          limit: pageLimit(1000).default(50),
          skip: z.number().int().min(0).max(10_000_000).default(0),
          query: z.string().trim().min(1).max(200).optional(),
          locked: z.boolean().optional(),
          enrolled: z.boolean().optional(),
        })
        .strict()
        .default({ limit: 50, skip: 0 }),
    )
    .query(({ ctx, input }) => listUsers(ctx.deps, ctx.scope, input)),
  delete: adminProcedure.input(userRef).mutation(({ ctx, input }) => deleteUser(ctx.deps, ctx.scope, input)),
  lock: adminProcedure
    .input(z.object({ userId: uuid, wipe: z.boolean({ error: "is required: true signs sessions out with a wipe (RESET), false without (LOCKED)" }) }).strict())
    .mutation(({ ctx, input }) => lockUser(ctx.deps, ctx.scope, input)),
  unlock: adminProcedure.input(userRef).mutation(({ ctx, input }) => unlockUser(ctx.deps, ctx.scope, input)),
  addToGroups: adminProcedure.input(groupsChange).mutation(({ ctx, input }) => addUserToGroups(ctx.deps, ctx.scope, input)),
  removeFromGroups: adminProcedure.input(groupsChange).mutation(({ ctx, input }) => removeUserFromGroups(ctx.deps, ctx.scope, input)),
});
