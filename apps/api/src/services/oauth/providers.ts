/**
 * `auth.oauth.createProvider` / `listProviders` / `updateProvider` / `deleteProvider` (tenant
 * admin): a tenant's OpenID Connect providers. The issuer is discovered when the provider is saved,
 * so a typo is a BAD_REQUEST naming `issuer` rather than a broken sign-in later. The client secret
 * is encrypted at rest and never returned.
 */
import type { OAuthProvider } from "@sesame/core";
import { and, asc, eq } from "drizzle-orm";
import { oauthProviders, type OAuthProviderRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { encryptString } from "../../lib/crypto.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import { isUniqueViolation } from "../../lib/pg-errors.ts";
import { recordEvent } from "../events/record-events.ts";
import type { AdminScope } from "../scope.ts";
import { discoverIssuer } from "./oidc-client.ts";
import { transaction } from "../transaction.ts";

export const DEFAULT_OAUTH_SCOPES = ["openid", "email", "profile"];

export interface ProviderInput {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  scopes?: string[];
  allowSignUp?: boolean;
}

export function toPublicProvider(row: OAuthProviderRow): OAuthProvider {
  return {
    id: row.id,
    name: row.name,
    issuer: row.issuer,
    clientId: row.clientId,
    redirectUris: row.redirectUris,
    scopes: row.scopes,
    allowSignUp: row.allowSignUp,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function checkDiscovery(input: Pick<ProviderInput, "issuer" | "clientId" | "clientSecret">) {
  try {
    await discoverIssuer(input.issuer, input.clientId, input.clientSecret);
  } catch (error) {
    throw apiError("BAD_REQUEST", `issuer: OpenID discovery failed (${error instanceof Error ? error.message : "no answer"})`, "issuer");
  }
}

const scopesOf = (scopes: string[] | undefined) => [...new Set(["openid", ...(scopes ?? DEFAULT_OAUTH_SCOPES)])];

export async function createProvider(deps: AppDeps, scope: AdminScope, input: ProviderInput): Promise<OAuthProvider> {
  await checkDiscovery(input);
  const now = deps.now();
  try {
    return await transaction(deps, async (tx) => {
      const [row] = await tx
        .insert(oauthProviders)
        .values({
          tenantId: scope.tenantId,
          name: input.name,
          issuer: input.issuer,
          clientId: input.clientId,
          clientSecretEnc: encryptString(deps.config.encryptionKey, input.clientSecret),
          redirectUris: input.redirectUris,
          scopes: scopesOf(input.scopes),
          allowSignUp: input.allowSignUp ?? false,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await recordEvent(tx, { tenantId: scope.tenantId, type: "oauth_provider.created", actor: scope.actor, data: { providerId: row!.id, name: input.name, issuer: input.issuer } }, now);
      return toPublicProvider(row!);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw apiError("CONFLICT", `A provider named ${input.name} already exists`, "name");
    throw error;
  }
}

export async function listProviders(deps: AppDeps, scope: AdminScope): Promise<OAuthProvider[]> {
  const rows = await deps.db.select().from(oauthProviders).where(eq(oauthProviders.tenantId, scope.tenantId)).orderBy(asc(oauthProviders.createdAt));
  return rows.map(toPublicProvider);
}

export async function updateProvider(deps: AppDeps, scope: AdminScope, input: Partial<Omit<ProviderInput, "name">> & { providerId: string }): Promise<OAuthProvider> {
  const [current] = await deps.db.select().from(oauthProviders).where(and(eq(oauthProviders.id, input.providerId), eq(oauthProviders.tenantId, scope.tenantId))).limit(1);
  if (!current) throw notFound("Provider");
  if (input.issuer !== undefined || input.clientId !== undefined || input.clientSecret !== undefined) {
    if ((input.issuer !== undefined || input.clientId !== undefined) && input.clientSecret === undefined) {
      throw apiError("BAD_REQUEST", "clientSecret: give the client secret again when the issuer or client id changes", "clientSecret");
    }
    await checkDiscovery({ issuer: input.issuer ?? current.issuer, clientId: input.clientId ?? current.clientId, clientSecret: input.clientSecret! });
  }
  const now = deps.now();
  const [row] = await deps.db
    .update(oauthProviders)
    .set({
      ...(input.issuer !== undefined ? { issuer: input.issuer } : {}),
      ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
      ...(input.clientSecret !== undefined ? { clientSecretEnc: encryptString(deps.config.encryptionKey, input.clientSecret) } : {}),
      ...(input.redirectUris !== undefined ? { redirectUris: input.redirectUris } : {}),
      ...(input.scopes !== undefined ? { scopes: scopesOf(input.scopes) } : {}),
      ...(input.allowSignUp !== undefined ? { allowSignUp: input.allowSignUp } : {}),
      updatedAt: now,
    })
    .where(eq(oauthProviders.id, current.id))
    .returning();
  await recordEvent(deps.db, { tenantId: scope.tenantId, type: "oauth_provider.updated", actor: scope.actor, data: { providerId: current.id } }, now);
  return toPublicProvider(row!);
}

/** Removes the provider, its identities (users stay) and its flows in flight. */
export async function deleteProvider(deps: AppDeps, scope: AdminScope, input: { providerId: string }): Promise<OAuthProvider> {
  const now = deps.now();
  return transaction(deps, async (tx) => {
    const [row] = await tx.delete(oauthProviders).where(and(eq(oauthProviders.id, input.providerId), eq(oauthProviders.tenantId, scope.tenantId))).returning();
    if (!row) throw notFound("Provider");
    await recordEvent(tx, { tenantId: scope.tenantId, type: "oauth_provider.deleted", actor: scope.actor, data: { providerId: row.id, name: row.name } }, now);
    return toPublicProvider(row);
  });
}
