/** `tenants.*`: the root key creates and lists tenants; a tenant's admin reads and changes its own. */
import { tenantSettingsSchema, type Tenant, type TenantSettings } from "@sesame/core";
import { asc, eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { tenants } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { hotReads } from "../hot-reads.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import { isUniqueViolation } from "../../lib/pg-errors.ts";
import { createApiKeyInTx, type CreatedApiKey } from "../api-keys/api-keys.ts";
import { recordEvent } from "../events/record-events.ts";
import { toPublicTenant } from "../mappers.ts";
import type { AdminScope, RootScope } from "../scope.ts";
import { runInTx } from "../transaction.ts";

/** A tenant comes with its first API key, named `default`. */
export async function createTenant(
  deps: AppDeps,
  scope: RootScope,
  input: { code: string; name: string; settings?: Partial<TenantSettings> },
): Promise<CreatedApiKey & { tenant: Tenant }> {
  const settings = tenantSettingsSchema.parse(input.settings ?? {});
  try {
    return await runInTx(deps, async (t) => {
      const [row] = await t.tx.insert(tenants).values({ code: input.code, name: input.name, settings, createdAt: t.now, updatedAt: t.now }).returning();
      const tenant = row!;
      await recordEvent(t.tx, { tenantId: tenant.id, type: "tenant.created", actor: scope.actor, data: { code: tenant.code } }, t.now);
      const { apiKey, key } = await createApiKeyInTx(t, { ...scope, tenantId: tenant.id }, { name: "default" });
      return { tenant: toPublicTenant(tenant), apiKey, key };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw apiError("CONFLICT", `A tenant with code ${input.code} already exists`, "code");
    throw error;
  }
}

export async function listTenants(deps: AppDeps, _scope: RootScope): Promise<Tenant[]> {
  const rows = await deps.db.select().from(tenants).orderBy(asc(tenants.createdAt));
  return rows.map(toPublicTenant);
}

export async function getTenant(deps: AppDeps, scope: AdminScope): Promise<Tenant> {
  const [row] = await hotReads(deps.db).tenantById.execute({ tenantId: scope.tenantId });
  if (!row) throw notFound("Tenant");
  return toPublicTenant(row);
}

export function updateTenant(deps: AppDeps, scope: AdminScope, input: { name?: string; settings?: Partial<TenantSettings> }): Promise<Tenant> {
  return runInTx(deps, async ({ tx, now }) => {
    const [current] = await tx.select().from(tenants).where(eq(tenants.id, scope.tenantId)).for("update").limit(1);
    if (!current) throw notFound("Tenant");
    const settings = tenantSettingsSchema.parse({ ...current.settings, ...input.settings });
    const [row] = await tx
      .update(tenants)
      .set({ name: input.name ?? current.name, settings, updatedAt: now })
      .where(eq(tenants.id, scope.tenantId))
      .returning();
    await recordEvent(tx, { tenantId: scope.tenantId, type: "tenant.updated", actor: scope.actor, data: { name: input.name, settings: input.settings } }, now);
    return toPublicTenant(row!);
  });
}

/** The id of the tenant with this code (upper-case), or null. */
export async function tenantIdByCode(db: DbOrTx, code: string): Promise<string | null> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.code, code)).limit(1);
  return row?.id ?? null;
}
