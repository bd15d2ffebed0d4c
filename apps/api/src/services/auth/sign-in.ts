/**
 * What every sign-in does once the credentials checked out (`auth.login`, `auth.enroll`, a second
 * factor, an OIDC callback): start the session as the user, and make a `pendingJoin` user `active`.
 */
import type { ClientInfo, MfaFactor, ProviderTokens, SessionTokens } from "@sesame/core";
import { and, eq } from "drizzle-orm";
import { users, type TenantRow, type UserRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError } from "../../lib/errors.ts";
import { recordEvent } from "../events/record-events.ts";
import type { PublicScope, TenantScope } from "../scope.ts";
import { isAccountGone, startSession } from "../sessions/start-session.ts";
import { transaction } from "../transaction.ts";

export interface SignInInput {
  tenant: TenantRow;
  user: UserRow;
  /** `password`, `enrollment`, or an OAuth provider's name. */
  provider: string;
  providerUid?: string | null;
  providerTokens?: ProviderTokens | null;
  factors?: MfaFactor[];
  client?: ClientInfo;
  /** The answer when the user was locked or deleted meanwhile: the same as for a wrong credential. */
  refusal: string;
}

export async function signIn(deps: AppDeps, scope: PublicScope, input: SignInInput): Promise<SessionTokens> {
  const { tenant, user } = input;
  const userScope: TenantScope = { tenantId: tenant.id, actor: { kind: "user", id: user.id }, request: scope.request };
  // The request is the client: what the client reports about itself does not override it.
  const started = await startSession(deps, userScope, {
    tenantId: tenant.id,
    userId: user.id,
    provider: input.provider,
    providerUid: input.providerUid ?? null,
    providerTokens: input.providerTokens ?? null,
    factors: input.factors ?? [],
    client: input.client,
    trustReportedClient: false,
  }).catch((error: unknown) => {
    throw isAccountGone(error) ? apiError("UNAUTHORIZED", input.refusal) : error;
  });
  await activateUser(deps, userScope, user, input.provider);
  const { session, accessToken, refreshToken, accessTokenExpiresAt } = started;
  return { session, accessToken, refreshToken, accessTokenExpiresAt };
}

/** A pendingJoin user becomes active on its first successful sign-in (password or enrollment). */
async function activateUser(deps: AppDeps, scope: TenantScope, user: UserRow, via: SignInInput["provider"]): Promise<void> {
  if (user.status !== "pendingJoin") return;
  const now = deps.now();
  await transaction(deps, async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ status: "active", updatedAt: now })
      .where(and(eq(users.id, user.id), eq(users.status, "pendingJoin")))
      .returning({ id: users.id });
    if (row) await recordEvent(tx, { tenantId: user.tenantId, type: "user.activated", actor: scope.actor, userId: user.id, data: { via } }, now);
  });
}
