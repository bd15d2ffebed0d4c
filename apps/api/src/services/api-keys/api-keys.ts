import { and, desc, eq } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import { apiKeys } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { recordEvent } from "../events/record-events.ts";
import type { Actor } from "../scope.ts";
import { toPublicApiKey } from "../mappers.ts";
import { insertApiKey } from "../tenants/tenants.ts";

export async function createApiKey(deps: AppDeps, tenantId: string, name: string, actor: Actor) {
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const created = await insertApiKey(tx, tenantId, name, now);
    await recordEvent(tx, { tenantId, type: "api_key.created", actor, data: { apiKeyId: created.apiKey.id, name } }, now);
    return created;
  });
}

export async function listApiKeys(deps: AppDeps, tenantId: string) {
  const rows = await deps.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(desc(apiKeys.createdAt));
  return rows.map(toPublicApiKey);
}

export async function revokeApiKey(deps: AppDeps, tenantId: string, apiKeyId: string, actor: Actor) {
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(apiKeys).where(and(eq(apiKeys.id, apiKeyId), eq(apiKeys.tenantId, tenantId))).for("update").limit(1);
    if (!row) throw notFound("API key");
    if (row.revokedAt) return toPublicApiKey(row);
    const [updated] = await tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, apiKeyId)).returning();
    await recordEvent(tx, { tenantId, type: "api_key.revoked", actor, data: { apiKeyId } }, now);
    return toPublicApiKey(updated!);
  });
}
