import { tenantSettingsSchema, type TenantSettings } from "@sesame/core";
import { asc, eq } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import { apiKeys, tenants } from "../../db/schema.ts";
import { randomSecret, sha256Hex } from "../../lib/crypto.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import type { DbOrTx } from "../../db/client.ts";
import { API_KEY_PREFIX } from "../callers/authenticate.ts";
import { recordEvent } from "../events/record-events.ts";
import type { Actor } from "../scope.ts";
import { toPublicApiKey, toPublicTenant } from "../mappers.ts";
import { isUniqueViolation } from "../../lib/pg-errors.ts";

/** Makes a new API key: the secret is returned once; only its SHA-256 is stored. */
export async function insertApiKey(db: DbOrTx, tenantId: string, name: string, now: Date) {
  const key = `${API_KEY_PREFIX}${randomSecret(32)}`;
  const [row] = await db.insert(apiKeys).values({ tenantId, name, keyHash: sha256Hex(key), createdAt: now }).returning();
  return { apiKey: toPublicApiKey(row!), key };
}

export async function createTenant(deps: AppDeps, input: { code: string; name: string; settings?: Partial<TenantSettings> }, actor: Actor) {
  const now = deps.now();
  const settings = tenantSettingsSchema.parse(input.settings ?? {});
  try {
    return await deps.db.transaction(async (tx) => {
      const [row] = await tx.insert(tenants).values({ code: input.code, name: input.name, settings, createdAt: now, updatedAt: now }).returning();
      const tenant = row!;
      const { apiKey, key } = await insertApiKey(tx, tenant.id, "default", now);
      await recordEvent(tx, { tenantId: tenant.id, type: "tenant.created", actor, data: { code: tenant.code } }, now);
      await recordEvent(tx, { tenantId: tenant.id, type: "api_key.created", actor, data: { apiKeyId: apiKey.id, name: apiKey.name } }, now);
      return { tenant: toPublicTenant(tenant), apiKey, key };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw apiError("CONFLICT", `A tenant with code ${input.code} already exists`, "code");
    throw error;
  }
}

/** The id of the tenant with this code (upper-case), or null. */
export async function tenantIdByCode(db: DbOrTx, code: string): Promise<string | null> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.code, code)).limit(1);
  return row?.id ?? null;
}

export async function listTenants(deps: AppDeps) {
  const rows = await deps.db.select().from(tenants).orderBy(asc(tenants.createdAt));
  return rows.map(toPublicTenant);
}

export async function getTenant(deps: AppDeps, tenantId: string) {
  const [row] = await deps.db.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  if (!row) throw notFound("Tenant");
  return toPublicTenant(row);
}

export async function updateTenant(deps: AppDeps, tenantId: string, input: { name?: string; settings?: Partial<TenantSettings> }, actor: Actor) {
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const [current] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for("update").limit(1);
    if (!current) throw notFound("Tenant");
    const settings = tenantSettingsSchema.parse({ ...current.settings, ...input.settings });
    const [row] = await tx
      .update(tenants)
      .set({ name: input.name ?? current.name, settings, updatedAt: now })
      .where(eq(tenants.id, tenantId))
      .returning();
    await recordEvent(tx, { tenantId, type: "tenant.updated", actor, data: { name: input.name, settings: input.settings } }, now);
    return toPublicTenant(row!);
  });
}
