import { clientInfoSchema } from "@sesame/core";
import { z } from "zod";
import { adminProcedure, router } from "../trpc.ts";
import {
  changeSessionGroups,
  createAdminSession,
  deleteAllUserSessions,
  deleteUserSession,
  getUserSession,
  listUserSessions,
  reauthenticateUserSession,
  wipeUserSession,
} from "../services/sessions/admin-sessions.ts";
import type { SessionRef } from "../services/sessions/find-session.ts";
import { groupList, groupsInput, uuid } from "./inputs.ts";

/** `{userId, sessionId}` or `{userId, token}` (an access or refresh token of the session), not both. */
const sessionRef = z
  .object({ userId: uuid, sessionId: uuid.optional(), token: z.string().min(1).max(4096).optional() })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.sessionId === undefined) === (v.token === undefined)) {
      ctx.addIssue({ code: "custom", path: ["sessionId"], message: "give exactly one of sessionId and token" });
    }
  })
  .transform((v): SessionRef => (v.sessionId !== undefined ? { userId: v.userId, sessionId: v.sessionId } : { userId: v.userId, token: v.token! }));
const sessionById = z.object({ userId: uuid, sessionId: uuid }).strict();
const groupsChange = z.object({ userId: uuid, groups: groupsInput }).strict();
/** Contract §3: password | enrollment | admin | an OAuth provider name | anonymous. */
const provider = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be a lower-case provider name");

export const sessionsRouter = router({
  create: adminProcedure
    .input(
      z
        .object({
          userId: uuid,
          accessGroups: groupList.optional(),
          provider: provider.optional(),
          // Capped by the tenant's sessionTtlSeconds.
          ttlSeconds: z.number().int().min(60).max(366 * 24 * 3600).optional(),
          client: clientInfoSchema.optional(),
        })
        .strict(),
    )
    .mutation(({ ctx, input }) => createAdminSession(ctx.deps, ctx.tenantId, input, ctx.request, ctx.actor)),
  list: adminProcedure
    .input(z.object({ userId: uuid, includeInactive: z.boolean().optional() }).strict())
    .query(({ ctx, input }) => listUserSessions(ctx.deps, ctx.tenantId, input)),
  get: adminProcedure.input(sessionRef).query(({ ctx, input }) => getUserSession(ctx.deps, ctx.tenantId, input)),
  delete: adminProcedure.input(sessionRef).mutation(({ ctx, input }) => deleteUserSession(ctx.deps, ctx.tenantId, input, ctx.actor)),
  deleteAll: adminProcedure
    .input(z.object({ userId: uuid, exceptSessionId: uuid.optional() }).strict())
    .mutation(({ ctx, input }) => deleteAllUserSessions(ctx.deps, ctx.tenantId, input, ctx.actor)),
  wipe: adminProcedure.input(sessionById).mutation(({ ctx, input }) => wipeUserSession(ctx.deps, ctx.tenantId, input, ctx.actor)),
  reauthenticate: adminProcedure.input(sessionById).mutation(({ ctx, input }) => reauthenticateUserSession(ctx.deps, ctx.tenantId, input, ctx.actor)),
  addAccessGroups: adminProcedure
    .input(groupsChange)
    .mutation(({ ctx, input }) => changeSessionGroups(ctx.deps, ctx.tenantId, { userId: input.userId, add: input.groups }, ctx.actor)),
  removeAccessGroups: adminProcedure
    .input(groupsChange)
    .mutation(({ ctx, input }) => changeSessionGroups(ctx.deps, ctx.tenantId, { userId: input.userId, remove: input.groups }, ctx.actor)),
});
