import { createdTenantSchema, tenantSchema } from "@sesame/core";
import { z } from "zod";
import { createTenant, getTenant, listTenants, updateTenant } from "../services/tenants/tenants.ts";
import { adminProcedure, rootProcedure, router } from "../trpc.ts";
import { tenantCode, tenantSettingsPatch } from "./inputs.ts";

const tenantName = z.string().trim().min(1).max(200);
export const createTenantInput = z.object({ code: tenantCode, name: tenantName, settings: tenantSettingsPatch.optional() }).strict();
export const updateTenantInput = z.object({ name: tenantName.optional(), settings: tenantSettingsPatch.optional() }).strict();

export const tenantsRouter = router({
  create: rootProcedure.input(createTenantInput).output(createdTenantSchema).mutation(({ ctx, input }) => createTenant(ctx.deps, ctx.scope, input)),
  list: rootProcedure.output(z.array(tenantSchema)).query(({ ctx }) => listTenants(ctx.deps, ctx.scope)),
  get: adminProcedure.output(tenantSchema).query(({ ctx }) => getTenant(ctx.deps, ctx.scope)),
  update: adminProcedure.input(updateTenantInput).output(tenantSchema).mutation(({ ctx, input }) => updateTenant(ctx.deps, ctx.scope, input)),
});
