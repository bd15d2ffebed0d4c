import { z } from "zod";
import { createTenant, getTenant, listTenants, updateTenant } from "../services/tenants/tenants.ts";
import { adminProcedure, rootProcedure, router } from "../trpc.ts";
import { tenantCode, tenantSettingsPatch } from "./inputs.ts";

export const tenantsRouter = router({
  create: rootProcedure
    .input(z.object({ code: tenantCode, name: z.string().trim().min(1).max(200), settings: tenantSettingsPatch.optional() }).strict())
    .mutation(({ ctx, input }) => createTenant(ctx.deps, ctx.scope, input)),
  list: rootProcedure.query(({ ctx }) => listTenants(ctx.deps, ctx.scope)),
  get: adminProcedure.query(({ ctx }) => getTenant(ctx.deps, ctx.scope)),
  update: adminProcedure
    .input(z.object({ name: z.string().trim().min(1).max(200).optional(), settings: tenantSettingsPatch.optional() }).strict())
    .mutation(({ ctx, input }) => updateTenant(ctx.deps, ctx.scope, input)),
});
