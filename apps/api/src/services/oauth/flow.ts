/**
 * `auth.oauth.start` and `auth.oauth.callback`: the authorization-code flow with PKCE (S256),
 * `state` and `nonce`, against a tenant's OpenID provider. The rules (README "OAuth / OIDC"):
 * - `state` is 256 bits, stored as SHA-256, good once and for STATE_TTL_SECONDS; the PKCE verifier
 *   and the nonce are stored encrypted beside it. The callback uses the state up before anything
 *   else, so a replayed callback (the same code) is refused even if the provider would accept it.
 * - the redirect URI must be one the admin registered for the provider, and the callback URL must
 *   come back to it;
 * - who signs in: the user already linked to the provider account (`sub`); else the user with the
 *   same email when the provider says it is verified (`email_verified: true`) — the identity is then
 *   linked; else a new user when the provider allows sign-up and the email is verified. An
 *   unverified email never links to, or is taken from, an existing account.
 * - the session records `provider` (the provider's name), `providerUid` (`sub`) and the provider's
 *   tokens, encrypted; a second factor is asked exactly as after a password.
 */
import { createHash } from "node:crypto";
import type { ClientInfo, MfaChallenge, OAuthStarted, SessionTokens } from "@sesame/core";
import { usernameKey } from "@sesame/core";
import { and, eq, gt, isNull } from "drizzle-orm";
import { oauthProviders, oauthStates, tenants, userIdentities, users, type OAuthProviderRow, type TenantRow, type UserRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { rateLimitSource } from "../../lib/client-ip.ts";
import { decryptString, encryptString, sha256Hex } from "../../lib/crypto.ts";
import { apiError, serviceUnavailable } from "../../lib/errors.ts";
import { isUniqueViolation } from "../../lib/pg-errors.ts";
import { recordAuthEvent, type AuthAuditTarget } from "../auth/audit.ts";
import { LOGIN_THROTTLED, countAttempt, loginSourceBucket, throttled } from "../auth/throttle.ts";
import { recordEvent } from "../events/record-events.ts";
import { signInOrChallenge } from "../mfa/challenges.ts";
import type { PublicScope } from "../scope.ts";
import { oidc, providerConfiguration } from "./oidc-client.ts";
import { transaction } from "../transaction.ts";

export const STATE_TTL_SECONDS = 10 * 60;
export const OAUTH_FAILED_MESSAGE = "OAuth sign-in failed";
export const INVALID_STATE_MESSAGE = "Invalid or expired sign-in state";

export interface OAuthStartInput {
  tenant: string;
  provider: string;
  redirectUri: string;
  client?: ClientInfo;
}

interface FlowSecrets {
  codeVerifier: string;
  nonce: string;
}

/** Each start and callback is a sign-in attempt of its source (the `login_source` bucket). */
async function countSignInAttempt(deps: AppDeps, scope: PublicScope, tenantId: string | null) {
  const { refused } = await countAttempt(deps, [loginSourceBucket(rateLimitSource(scope.request.ip))]);
  if (refused) throw await throttled(deps, refused, LOGIN_THROTTLED, { tenantId, ip: scope.request.ip });
}

export async function startOAuth(deps: AppDeps, scope: PublicScope, input: OAuthStartInput): Promise<OAuthStarted> {
  const [found] = await deps.db
    .select({ tenant: tenants, provider: oauthProviders })
    .from(oauthProviders)
    .innerJoin(tenants, eq(tenants.id, oauthProviders.tenantId))
    .where(and(eq(tenants.code, input.tenant.trim().toUpperCase()), eq(oauthProviders.name, input.provider)))
    .limit(1);
  await countSignInAttempt(deps, scope, found?.tenant.id ?? null);
  if (!found) throw apiError("NOT_FOUND", "No such provider for this tenant");
  const { provider } = found;
  if (!provider.redirectUris.includes(input.redirectUri)) throw apiError("BAD_REQUEST", "redirectUri: not one of the provider's registered redirect URIs", "redirectUri");

  const config = await reachProvider(deps, provider);
  const state = oidc.randomState();
  const secrets: FlowSecrets = { codeVerifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce() };
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + STATE_TTL_SECONDS * 1000);
  await deps.db.insert(oauthStates).values({
    tenantId: provider.tenantId,
    providerId: provider.id,
    stateHash: sha256Hex(state),
    secretsEnc: encryptString(deps.config.encryptionKey, JSON.stringify(secrets)),
    redirectUri: input.redirectUri,
    client: input.client ?? null,
    createdAt: now,
    expiresAt,
  });
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: input.redirectUri,
    scope: provider.scopes.join(" "),
    response_type: "code",
    code_challenge: await oidc.calculatePKCECodeChallenge(secrets.codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce: secrets.nonce,
  });
  return { authorizationUrl: authorizationUrl.href, expiresAt: expiresAt.toISOString() };
}

async function reachProvider(deps: AppDeps, provider: OAuthProviderRow) {
  try {
    return await providerConfiguration(deps, provider);
  } catch (error) {
    deps.logger.warn({ err: error, providerId: provider.id }, "OpenID discovery failed");
    throw serviceUnavailable("identity provider", error);
  }
}

/** `callbackUrl`: the whole URL the provider redirected the browser to (with `code`, `state`, maybe `iss`). */
export async function finishOAuth(deps: AppDeps, scope: PublicScope, input: { callbackUrl: string }): Promise<SessionTokens | MfaChallenge> {
  const callback = new URL(input.callbackUrl);
  const state = callback.searchParams.get("state");
  await countSignInAttempt(deps, scope, null);
  if (!state) throw apiError("UNAUTHORIZED", INVALID_STATE_MESSAGE);

  // Used up first: whatever happens next, this state (and the code that came with it) is spent.
  const [flow] = await deps.db
    .update(oauthStates)
    .set({ usedAt: deps.now() })
    .where(and(eq(oauthStates.stateHash, sha256Hex(state)), isNull(oauthStates.usedAt), gt(oauthStates.expiresAt, deps.now())))
    .returning();
  if (!flow) throw apiError("UNAUTHORIZED", INVALID_STATE_MESSAGE);
  const [found] = await deps.db
    .select({ tenant: tenants, provider: oauthProviders })
    .from(oauthProviders)
    .innerJoin(tenants, eq(tenants.id, oauthProviders.tenantId))
    .where(eq(oauthProviders.id, flow.providerId))
    .limit(1);
  if (!found) throw apiError("UNAUTHORIZED", INVALID_STATE_MESSAGE);
  const { tenant, provider } = found;
  const audit: AuthAuditTarget = { tenantId: tenant.id, ip: scope.request.ip };
  const expected = new URL(flow.redirectUri);
  if (callback.origin !== expected.origin || callback.pathname !== expected.pathname) {
    await recordAuthEvent(deps, audit, "auth.sign_in_failed", { reason: "oauth_redirect_mismatch", provider: provider.name });
    throw apiError("UNAUTHORIZED", OAUTH_FAILED_MESSAGE);
  }

  const secrets = JSON.parse(decryptString(deps.config.encryptionKey, flow.secretsEnc)) as FlowSecrets;
  const config = await reachProvider(deps, provider);
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: secrets.codeVerifier,
      expectedState: state,
      expectedNonce: secrets.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    // The provider refused the code (replayed, expired, wrong verifier) or the answer failed a check
    // (nonce, issuer, audience, signature): one answer to the caller, the detail in the event.
    const detail = error instanceof Error ? ((error as { code?: string }).code ?? error.name) : "unknown";
    const claim = failedClaim(error);
    await recordAuthEvent(deps, audit, "auth.sign_in_failed", { reason: "oauth_rejected", provider: provider.name, detail, ...(typeof claim === "string" ? { claim } : {}) });
    throw apiError("UNAUTHORIZED", OAUTH_FAILED_MESSAGE);
  }
  const idClaims = tokens.claims();
  if (!idClaims?.sub) throw apiError("UNAUTHORIZED", OAUTH_FAILED_MESSAGE);
  const claims: Record<string, unknown> = { ...idClaims, ...(await userInfoWhenNeeded(deps, config, idClaims, tokens.access_token)) };
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : null;
  const identity = { subject: idClaims.sub, email, emailVerified: claims.email_verified === true, givenName: stringClaim(claims.given_name), familyName: stringClaim(claims.family_name) };

  const user = await userForIdentity(deps, tenant, provider, identity);
  if (!user || user.locked) {
    await recordAuthEvent(deps, { ...audit, userId: user?.id ?? null }, "auth.sign_in_failed", { reason: user ? "user_locked" : identity.email && !identity.emailVerified ? "oauth_email_unverified" : "oauth_no_account", provider: provider.name });
    throw apiError("UNAUTHORIZED", OAUTH_FAILED_MESSAGE);
  }
  const expiresIn = tokens.expiresIn();
  return signInOrChallenge(
    deps,
    scope,
    {
      tenant,
      user,
      provider: provider.name,
      providerUid: idClaims.sub,
      providerTokens: {
        accessToken: tokens.access_token ?? null,
        refreshToken: tokens.refresh_token ?? null,
        expiresAt: expiresIn === undefined ? null : new Date(deps.now().getTime() + expiresIn * 1000).toISOString(),
      },
      ...(flow.client ? { client: flow.client } : {}),
    },
    OAUTH_FAILED_MESSAGE,
  );
}

/**
 * Providers that keep profile claims out of the ID token answer them at UserInfo; asked only when
 * the ID token has no email, for the same subject (openid-client checks `sub` matches).
 */
async function userInfoWhenNeeded(deps: AppDeps, config: Awaited<ReturnType<typeof providerConfiguration>>, idClaims: { sub: string; email?: unknown }, accessToken: string | undefined) {
  if (typeof idClaims.email === "string" || !accessToken || !config.serverMetadata().userinfo_endpoint) return {};
  try {
    const info = await oidc.fetchUserInfo(config, accessToken, idClaims.sub);
    return { email: info.email, email_verified: info.email_verified, given_name: info.given_name, family_name: info.family_name };
  } catch (error) {
    deps.logger.warn({ err: error }, "OpenID UserInfo request failed");
    return {};
  }
}

/** The ID-token claim a check failed on (`nonce`, `iss`, `aud`…), wherever openid-client put it in the cause chain. */
function failedClaim(error: unknown): string | undefined {
  for (let e = error as { cause?: unknown; claim?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.claim === "string") return e.claim;
  }
  return undefined;
}

const stringClaim = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim().slice(0, 200) : null);

interface ProviderIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
}

/** The linking rules (see the file's header). Null: nobody to sign in. */
async function userForIdentity(deps: AppDeps, tenant: TenantRow, provider: OAuthProviderRow, identity: ProviderIdentity): Promise<UserRow | null> {
  const now = deps.now();
  const [linked] = await deps.db
    .select({ user: users })
    .from(userIdentities)
    .innerJoin(users, eq(users.id, userIdentities.userId))
    .where(and(eq(userIdentities.providerId, provider.id), eq(userIdentities.subject, identity.subject), isNull(users.deletedAt)))
    .limit(1);
  if (linked) {
    await deps.db.update(userIdentities).set({ lastSignInAt: now, email: identity.email }).where(and(eq(userIdentities.providerId, provider.id), eq(userIdentities.subject, identity.subject)));
    return linked.user;
  }
  if (!identity.email || !identity.emailVerified) return null;
  const actor = { kind: "public" as const, id: null };
  return transaction(deps, async (tx) => {
    const [existing] = await tx.select().from(users).where(and(eq(users.tenantId, tenant.id), eq(users.email, identity.email!), isNull(users.deletedAt))).limit(1);
    let user = existing ?? null;
    if (!user) {
      if (!provider.allowSignUp) return null;
      const username = `${provider.name}-${createHash("sha256").update(identity.subject).digest("hex").slice(0, 16)}`;
      [user] = (await tx
        .insert(users)
        .values({
          tenantId: tenant.id,
          username,
          usernameKey: usernameKey(username),
          email: identity.email,
          firstName: identity.givenName,
          lastName: identity.familyName,
          status: "active",
          createdAt: now,
          updatedAt: now,
        })
        .returning()) as [UserRow];
      await recordEvent(tx, { tenantId: tenant.id, type: "user.created", actor, userId: user.id, data: { username, status: user.status, via: provider.name } }, now);
    }
    await tx.insert(userIdentities).values({ tenantId: tenant.id, userId: user.id, providerId: provider.id, subject: identity.subject, email: identity.email, createdAt: now, lastSignInAt: now });
    await recordEvent(tx, { tenantId: tenant.id, type: "user.identity_linked", actor, userId: user.id, data: { provider: provider.name, providerUid: identity.subject, created: !existing } }, now);
    return user;
  }).catch(async (error: unknown) => {
    // Two first sign-ins of one identity raced: the winner's link stands; use it.
    if (!isUniqueViolation(error)) throw error;
    const [again] = await deps.db
      .select({ user: users })
      .from(userIdentities)
      .innerJoin(users, eq(users.id, userIdentities.userId))
      .where(and(eq(userIdentities.providerId, provider.id), eq(userIdentities.subject, identity.subject)))
      .limit(1);
    return again?.user ?? null;
  });
}
