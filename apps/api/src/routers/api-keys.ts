import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys/api-keys.ts";
import { adminProcedure, router } from "../trpc.ts";
import { uuid } from "./inputs.ts";

export const apiKeysRouter = router({
  create: adminProcedure.input(z.object({ name: z.string().trim().min(1).max(200) }).strict()).mutation(({ ctx, input }) => createApiKey(ctx.deps, ctx.scope, input)),
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.deps, ctx.scope)),
  revoke: adminProcedure.input(z.object({ apiKeyId: uuid }).strict()).mutation(({ ctx, input }) => revokeApiKey(ctx.deps, ctx.scope, input)),
});
