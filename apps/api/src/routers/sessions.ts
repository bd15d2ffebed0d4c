import { clientInfoSchema, revocationSchema, sessionRevocationSchema, sessionSchema, sessionsRevocationSchema, startedSessionSchema } from "@sesame/core";
import { z } from "zod";
import { addSessionAccessGroups, removeSessionAccessGroups } from "../services/sessions/access-groups.ts";
import { createSession } from "../services/sessions/create.ts";
import type { SessionRef } from "../services/sessions/find-session.ts";
import { getSession, listSessions } from "../services/sessions/read.ts";
import { deleteAllSessions, deleteSession, reauthenticateSession, wipeSession } from "../services/sessions/sign-out.ts";
import { adminProcedure, router } from "../trpc.ts";
import { groupList, groupsInput, uuid } from "./inputs.ts";

/** An access or refresh token the session issued. */
export const sessionToken = z.string().min(1).max(4096);
/** `{userId, sessionId}` or `{userId, token}` (an access or refresh token of the session), not both. */
const sessionRef = z
  .object({ userId: uuid, sessionId: uuid.optional(), token: sessionToken.optional() })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.sessionId === undefined) === (v.token === undefined)) {
      ctx.addIssue({ code: "custom", path: ["sessionId"], message: "give exactly one of sessionId and token" });
    }
  })
  .transform((v): SessionRef => (v.sessionId !== undefined ? { userId: v.userId, sessionId: v.sessionId } : { userId: v.userId, token: v.token! }));
export const sessionByIdInput = z.object({ userId: uuid, sessionId: uuid }).strict();
export const sessionGroupsInput = z.object({ userId: uuid, groups: groupsInput }).strict();
/** Contract §3: password | enrollment | admin | an OAuth provider name | anonymous. */
const provider = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be a lower-case provider name");

export const createSessionInput = z
  .object({
    userId: uuid,
    accessGroups: groupList.optional(),
    provider: provider.optional(),
    // Capped by the tenant's sessionTtlSeconds.
    ttlSeconds: z.number().int().min(60).max(366 * 24 * 3600).optional(),
    client: clientInfoSchema.optional(),
  })
  .strict();
export const listSessionsInput = z.object({ userId: uuid, includeInactive: z.boolean().optional() }).strict();
export const deleteAllSessionsInput = z.object({ userId: uuid, exceptSessionId: uuid.optional() }).strict();

export const sessionsRouter = router({
  create: adminProcedure.input(createSessionInput).output(startedSessionSchema).mutation(({ ctx, input }) => createSession(ctx.deps, ctx.scope, input)),
  list: adminProcedure.input(listSessionsInput).output(z.array(sessionSchema)).query(({ ctx, input }) => listSessions(ctx.deps, ctx.scope, input)),
  get: adminProcedure.input(sessionRef).output(sessionSchema).query(({ ctx, input }) => getSession(ctx.deps, ctx.scope, input)),
  delete: adminProcedure.input(sessionRef).output(sessionRevocationSchema).mutation(({ ctx, input }) => deleteSession(ctx.deps, ctx.scope, input)),
  deleteAll: adminProcedure.input(deleteAllSessionsInput).output(revocationSchema).mutation(({ ctx, input }) => deleteAllSessions(ctx.deps, ctx.scope, input)),
  wipe: adminProcedure.input(sessionByIdInput).output(sessionRevocationSchema).mutation(({ ctx, input }) => wipeSession(ctx.deps, ctx.scope, input)),
  reauthenticate: adminProcedure.input(sessionByIdInput).output(sessionRevocationSchema).mutation(({ ctx, input }) => reauthenticateSession(ctx.deps, ctx.scope, input)),
  addAccessGroups: adminProcedure.input(sessionGroupsInput).output(sessionsRevocationSchema).mutation(({ ctx, input }) => addSessionAccessGroups(ctx.deps, ctx.scope, input)),
  removeAccessGroups: adminProcedure.input(sessionGroupsInput).output(sessionsRevocationSchema).mutation(({ ctx, input }) => removeSessionAccessGroups(ctx.deps, ctx.scope, input)),
});
