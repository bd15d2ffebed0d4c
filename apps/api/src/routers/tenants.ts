import { z } from "zod";
import { adminProcedure, rootProcedure, router } from "../trpc.ts";
import { createTenant, getTenant, listTenants, updateTenant } from "../services/tenants/tenants.ts";
import { tenantCode, tenantSettingsPatch } from "./inputs.ts";

export const tenantsRouter = router({
  create: rootProcedure
    .input(z.object({ code: tenantCode, name: z.string().trim().min(1).max(200), settings: tenantSettingsPatch.optional() }).strict())
    .mutation(({ ctx, input }) => createTenant(ctx.deps, input, ctx.actor)),
  list: rootProcedure.query(({ ctx }) => listTenants(ctx.deps)),
  get: adminProcedure.query(({ ctx }) => getTenant(ctx.deps, ctx.tenantId)),
  update: adminProcedure
    .input(z.object({ name: z.string().trim().min(1).max(200).optional(), settings: tenantSettingsPatch.optional() }).strict())
    .mutation(({ ctx, input }) => updateTenant(ctx.deps, ctx.tenantId, input, ctx.actor)),
});
