import { apiKeySchema, createdApiKeySchema } from "@sesame/core";
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys/api-keys.ts";
import { adminProcedure, router } from "../trpc.ts";
import { uuid } from "./inputs.ts";

export const createApiKeyInput = z.object({ name: z.string().trim().min(1).max(200) }).strict();
export const revokeApiKeyInput = z.object({ apiKeyId: uuid }).strict();

export const apiKeysRouter = router({
  create: adminProcedure.input(createApiKeyInput).output(createdApiKeySchema).mutation(({ ctx, input }) => createApiKey(ctx.deps, ctx.scope, input)),
  list: adminProcedure.output(z.array(apiKeySchema)).query(({ ctx }) => listApiKeys(ctx.deps, ctx.scope)),
  revoke: adminProcedure.input(revokeApiKeyInput).output(apiKeySchema).mutation(({ ctx, input }) => revokeApiKey(ctx.deps, ctx.scope, input)),
});
