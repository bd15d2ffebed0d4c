import { emailVerificationSentSchema, importResultsSchema, updatedUserSchema, userRevocationSchema, userSchema, userWithSessionsSchema, usersPageSchema } from "@sesame/core";
import { z } from "zod";
import { resetUserFactors } from "../services/mfa/factors.ts";
import { PBKDF2_DIGESTS, firebaseParamsProblem } from "../lib/password-formats.ts";
import { sendEmailVerification } from "../services/auth/email-links.ts";
import { MAX_IMPORT_BATCH, importUsers, type CheckedImportRow } from "../services/users/import.ts";
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

const base64Text = z.string().trim().min(1).max(1024);
/** An imported hash given by its parts (salts and hashes in base64); strings are read by lib/password-formats.ts. */
const importedHashParts = z.discriminatedUnion("algorithm", [
  z.object({ algorithm: z.literal("scrypt"), hash: base64Text, salt: base64Text, N: z.number().int(), r: z.number().int(), p: z.number().int() }).strict(),
  z.object({ algorithm: z.literal("pbkdf2"), digest: z.enum(PBKDF2_DIGESTS), iterations: z.number().int(), salt: base64Text, hash: base64Text }).strict(),
  z.object({ algorithm: z.literal("firebase-scrypt"), hash: base64Text, salt: base64Text }).strict(),
]);

/** One row of `users.import`, checked on its own so a bad row fails alone (services/users/import.ts). */
export const importUserRow = z
  .object({
    externalId: z.string().trim().min(1).max(255),
    username,
    email: email.nullish(),
    /** The source system vouches for the address: `emailVerifiedAt` is set to the import time. */
    emailVerified: z.boolean().optional(),
    firstName: personName.nullish(),
    lastName: personName.nullish(),
    passwordHash: z.union([z.string().trim().min(1).max(2048), importedHashParts]).optional(),
    profile: jsonObject.optional(),
    groups: groupList.optional(),
    config: jsonObject.optional(),
    status: userStatus.optional(),
    locked: z.boolean().optional(),
  })
  .strict();
export type ImportUserRow = z.infer<typeof importUserRow>;

/**
 * Validates one row on its own: a bad row becomes a failed result naming its field (as tRPC's
 * error formatter names it), and the rest of the import goes on.
 */
export function checkImportRow(value: unknown, index: number): CheckedImportRow {
  const externalId = typeof value === "object" && value !== null && typeof (value as { externalId?: unknown }).externalId === "string" ? ((value as { externalId: string }).externalId.trim() || null) : null;
  const parsed = importUserRow.safeParse(value);
  if (parsed.success) return { index, externalId: parsed.data.externalId, row: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = [...issue.path, ...(issue.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [])].map(String);
  const field = path.join(".") || null;
  return { index, externalId, error: { code: "BAD_REQUEST", message: `${field ?? "row"}: ${issue.message}`, field } };
}

/** Firebase's project-wide hash parameters (console › Authentication › Users › ⋮ › Password hash parameters). */
export const firebaseScryptParams = z
  .object({ signerKey: base64Text, saltSeparator: z.string().trim().max(1024), rounds: z.number().int(), memCost: z.number().int() })
  .strict()
  .superRefine((v, ctx) => {
    const problem = firebaseParamsProblem(v);
    if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
  });

export const importUsersInput = z
  .object({
    users: z
      .array(z.unknown().meta({ description: "A user row: externalId, username, email?, emailVerified?, firstName?, lastName?, passwordHash?, profile?, groups?, config?, status?, locked? (README › Importing users)" }))
      .min(1)
      .max(MAX_IMPORT_BATCH, `must be at most ${MAX_IMPORT_BATCH} rows: send more with POST /v1/users/import (NDJSON) or in several calls`),
    firebaseScrypt: firebaseScryptParams.optional(),
  })
  .strict();

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
  /** Creates users with their existing password hashes; a result per row (README › Importing users). */
  import: adminProcedure.input(importUsersInput).output(importResultsSchema).mutation(({ ctx, input }) =>
    importUsers(ctx.deps, ctx.scope, { rows: input.users.map(checkImportRow), firebaseScrypt: input.firebaseScrypt ?? null }),
  ),
  /** Mails the user a one-time link that verifies their email address (`auth.verifyEmail`). */
  sendEmailVerification: adminProcedure.input(userRefInput).output(emailVerificationSentSchema).mutation(({ ctx, input }) => sendEmailVerification(ctx.deps, ctx.scope, input)),
  removeFromGroups: adminProcedure.input(userGroupsInput).output(userSchema).mutation(({ ctx, input }) => removeUserFromGroups(ctx.deps, ctx.scope, input)),
});
