/** `apiKeys.*`: a tenant's API keys. The secret is returned once; only its SHA-256 is stored. */
import type { ApiKey } from "@sesame/core";
import { and, desc, eq } from "drizzle-orm";
import { apiKeys } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { randomSecret, sha256Hex } from "../../lib/crypto.ts";
import { notFound } from "../../lib/errors.ts";
import { recordEvent } from "../events/record-events.ts";
import { announceApiKeyRevoked, forgetApiKey } from "./api-key-cache.ts";
import { toPublicApiKey } from "../mappers.ts";
import type { AdminScope } from "../scope.ts";
import { runInTx, type TxContext } from "../transaction.ts";

/** API keys look like `sk_<43 base64url chars>`; the prefix lets secret scanners find leaked ones. */
export const API_KEY_PREFIX = "sk_";

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The secret, shown only here. */
  key: string;
}

export function createApiKey(deps: AppDeps, scope: AdminScope, input: { name: string }): Promise<CreatedApiKey> {
  return runInTx(deps, (t) => createApiKeyInTx(t, scope, input));
}

/** `createApiKey` inside a caller's transaction (`tenants.create` makes the first key so). */
export async function createApiKeyInTx(t: TxContext, scope: AdminScope, input: { name: string }): Promise<CreatedApiKey> {
  const key = `${API_KEY_PREFIX}${randomSecret(32)}`;
  const [row] = await t.tx.insert(apiKeys).values({ tenantId: scope.tenantId, name: input.name, keyHash: sha256Hex(key), createdAt: t.now }).returning();
  const apiKey = toPublicApiKey(row!);
  await recordEvent(t.tx, { tenantId: scope.tenantId, type: "api_key.created", actor: scope.actor, data: { apiKeyId: apiKey.id, name: apiKey.name } }, t.now);
  return { apiKey, key };
}

export async function listApiKeys(deps: AppDeps, scope: AdminScope): Promise<ApiKey[]> {
  const rows = await deps.db.select().from(apiKeys).where(eq(apiKeys.tenantId, scope.tenantId)).orderBy(desc(apiKeys.createdAt));
  return rows.map(toPublicApiKey);
}

export function revokeApiKey(deps: AppDeps, scope: AdminScope, input: { apiKeyId: string }): Promise<ApiKey> {
  return runInTx(deps, async ({ tx, now }) => {
    const [row] = await tx.select().from(apiKeys).where(and(eq(apiKeys.id, input.apiKeyId), eq(apiKeys.tenantId, scope.tenantId))).for("update").limit(1);
    if (!row) throw notFound("API key");
    if (row.revokedAt) return toPublicApiKey(row);
    const [updated] = await tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, input.apiKeyId)).returning();
    await recordEvent(tx, { tenantId: scope.tenantId, type: "api_key.revoked", actor: scope.actor, data: { apiKeyId: input.apiKeyId } }, now);
    await announceApiKeyRevoked(tx, input.apiKeyId);
    return toPublicApiKey(updated!);
  }).then((revoked) => {
    forgetApiKey(deps.db, revoked.id);
    return revoked;
  });
}
