/**
 * OpenID Connect sign-in, the whole flow over HTTP against a real local OpenID provider
 * (oidc-provider) and the run's Postgres and cache: provider set-up, sign-up and linking by
 * verified email, and the attacks — a tampered state, a replayed callback and a replayed code, a
 * wrong nonce, an unverified email — each refused without a session.
 */
import { errorCode, errorField } from "@sesame/client";
import { isMfaChallenge } from "@sesame/core";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, oauthProviders, oauthStates, sessions, userIdentities, users } from "../src/db/schema.ts";
import { decryptString, encryptString, sha256Hex } from "../src/lib/crypto.ts";
import { totpCodeAt } from "../src/services/mfa/totp.ts";
import { sessionRow, startAuthApi, tenantWithUser, tokensOf } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";
import { REDIRECT_URI, startOidcProvider, type TestOidcProvider } from "./oidc-provider.ts";

let api: ApiHarness;
let idp: TestOidcProvider;
beforeAll(async () => {
  api = await startAuthApi();
  idp = await startOidcProvider();
});
afterAll(async () => {
  await api?.stop();
  await idp?.close();
});

const refusedWith = (wanted: string) => (e: unknown) => errorCode(e) === wanted;

/** A tenant with the provider configured as `idp`. */
async function tenantWithProvider(options: { allowSignUp?: boolean } = {}) {
  const setup = await tenantWithUser(api);
  const provider = await setup.admin.auth.oauth.createProvider.mutate({
    name: "idp",
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    redirectUris: [REDIRECT_URI],
    ...(options.allowSignUp !== undefined ? { allowSignUp: options.allowSignUp } : {}),
  });
  return { ...setup, provider };
}

function start(tenantCode: string) {
  return api.anonymous().auth.oauth.start.mutate({ tenant: tenantCode, provider: "idp", redirectUri: REDIRECT_URI, client: { userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0" } });
}
const callback = (callbackUrl: string) => api.anonymous().auth.oauth.callback.mutate({ callbackUrl });

async function signInAs(tenantCode: string, sub: string) {
  const { authorizationUrl } = await start(tenantCode);
  return callback(await idp.browse(authorizationUrl, sub));
}

async function failedEvents(tenantId: string) {
  const rows = await api.deps.db.select().from(events).where(and(eq(events.tenantId, tenantId), eq(events.type, "auth.sign_in_failed")));
  return rows.map((e) => e.data);
}

describe("providers", () => {
  it("keeps the client secret encrypted and never returns it", async () => {
    const { provider, admin } = await tenantWithProvider();
    expect(provider).toMatchObject({ name: "idp", issuer: idp.issuer, clientId: idp.clientId, redirectUris: [REDIRECT_URI], scopes: ["openid", "email", "profile"], allowSignUp: false });
    expect(JSON.stringify(provider)).not.toContain(idp.clientSecret);
    expect(JSON.stringify(await admin.auth.oauth.listProviders.query())).not.toContain(idp.clientSecret);
    const [row] = await api.deps.db.select().from(oauthProviders).where(eq(oauthProviders.id, provider.id));
    expect(row!.clientSecretEnc).not.toContain(idp.clientSecret);
    expect(decryptString(api.config.encryptionKey, row!.clientSecretEnc)).toBe(idp.clientSecret);
  });

  it("refuses an issuer that does not answer discovery, naming the field", async () => {
    const { admin } = await tenantWithUser(api);
    const error = await admin.auth.oauth.createProvider
      .mutate({ name: "nope", issuer: `${idp.issuer}/not-an-issuer`, clientId: "x", clientSecret: "y", redirectUris: [REDIRECT_URI] })
      .catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
    expect(errorField(error)).toBe("issuer");
    const insecure = await admin.auth.oauth.createProvider
      .mutate({ name: "plain", issuer: "http://idp.example.com", clientId: "x", clientSecret: "y", redirectUris: [REDIRECT_URI] })
      .catch((e: unknown) => e);
    expect(errorField(insecure)).toBe("issuer");
  });

  it("starts a flow only towards a registered redirect URI, with PKCE (S256), state and nonce", async () => {
    const { tenant } = await tenantWithProvider();
    const error = await api.anonymous().auth.oauth.start.mutate({ tenant: tenant.code, provider: "idp", redirectUri: "https://evil.example/cb" }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
    expect(errorField(error)).toBe("redirectUri");
    const { authorizationUrl } = await start(tenant.code);
    const params = new URL(authorizationUrl).searchParams;
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")).toBeTruthy();
    expect(params.get("nonce")).toBeTruthy();
    expect(params.get("redirect_uri")).toBe(REDIRECT_URI);
    // The state is stored only as its hash.
    const stored = await api.deps.db.select().from(oauthStates).where(eq(oauthStates.stateHash, sha256Hex(params.get("state")!)));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.secretsEnc).not.toContain(params.get("nonce")!);
  });
});

describe("sign-in", () => {
  it("signs up a new user with a verified email and records provider, providerUid and the provider's tokens (admins only)", async () => {
    const { tenant, admin } = await tenantWithProvider({ allowSignUp: true });
    const sub = idp.addAccount({ email: "Grace@Example.test", email_verified: true, given_name: "Grace", family_name: "Hopper" });
    const tokens = tokensOf(await signInAs(tenant.code, sub));
    expect(tokens.session).toMatchObject({ provider: "idp", providerUid: sub });
    expect(tokens.session).not.toHaveProperty("providerTokens");
    const me = await api.user(tokens.accessToken).auth.me.query();
    expect(me.user).toMatchObject({ email: "grace@example.test", firstName: "Grace", lastName: "Hopper", status: "active" });
    expect(me.session).not.toHaveProperty("providerTokens");

    const seen = await admin.sessions.get.query({ userId: me.user.id, sessionId: tokens.session.id });
    expect(seen.providerTokens!.accessToken).toBeTruthy();
    expect(seen.providerTokens!.expiresAt).not.toBeNull();
    const row = await sessionRow(api, tokens.session.id);
    expect(row.providerTokensEnc).not.toContain(seen.providerTokens!.accessToken!);

    // The same provider account signs in as the same user next time.
    const again = tokensOf(await signInAs(tenant.code, sub));
    expect(again.session.userId).toBe(me.user.id);
    expect(await api.deps.db.select().from(users).where(eq(users.tenantId, tenant.id))).toHaveLength(2);
  });

  it("links an existing account by verified email, and refuses an unknown one when sign-up is off", async () => {
    const { tenant, user } = await tenantWithProvider();
    const sub = idp.addAccount({ email: user.email!.toUpperCase(), email_verified: true });
    const tokens = tokensOf(await signInAs(tenant.code, sub));
    expect(tokens.session).toMatchObject({ userId: user.id, provider: "idp", providerUid: sub });
    const [identity] = await api.deps.db.select().from(userIdentities).where(eq(userIdentities.subject, sub));
    expect(identity).toMatchObject({ userId: user.id, tenantId: tenant.id });

    const stranger = idp.addAccount({ email: "nobody@example.test", email_verified: true });
    await expect(signInAs(tenant.code, stranger)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect((await failedEvents(tenant.id)).map((d) => d.reason)).toContain("oauth_no_account");
  });

  it("never links an unverified email to an existing account (nor signs it up)", async () => {
    const { tenant, user } = await tenantWithProvider({ allowSignUp: true });
    const sub = idp.addAccount({ email: user.email!, email_verified: false });
    await expect(signInAs(tenant.code, sub)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect(await api.deps.db.select().from(userIdentities).where(eq(userIdentities.subject, sub))).toEqual([]);
    expect(await api.deps.db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    expect((await failedEvents(tenant.id)).map((d) => d.reason)).toEqual(["oauth_email_unverified"]);
    const fresh = idp.addAccount({ email: "unverified@example.test" });
    await expect(signInAs(tenant.code, fresh)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect(await api.deps.db.select().from(users).where(eq(users.email, "unverified@example.test"))).toEqual([]);
  });

  it("asks for the second factor after the provider, as after a password, and keeps the provider's fields through it", async () => {
    const { tenant, user, admin } = await tenantWithProvider();
    const sub = idp.addAccount({ email: user.email!, email_verified: true });
    const me = api.user(tokensOf(await signInAs(tenant.code, sub)).accessToken);
    const { secret } = await me.auth.mfa.enroll.mutate();
    const { recoveryCodes } = await me.auth.mfa.confirm.mutate({ code: totpCodeAt(secret, new Date()) });
    const result = await signInAs(tenant.code, sub);
    if (!isMfaChallenge(result)) throw new Error("expected a challenge");
    const tokens = await api.anonymous().auth.mfa.verify.mutate({ challengeToken: result.challengeToken, code: recoveryCodes[0]! });
    expect(tokens.session).toMatchObject({ provider: "idp", providerUid: sub, factors: ["totp"] });
    const seen = await admin.sessions.get.query({ userId: user.id, sessionId: tokens.session.id });
    expect(seen.providerTokens!.accessToken).toBeTruthy();
  });
});

describe("claims from UserInfo", () => {
  it("reads the email from UserInfo when the provider keeps it out of the ID token", async () => {
    const conforming = await startOidcProvider({ claimsInIdToken: false });
    try {
      const { tenant, user, admin } = await tenantWithUser(api);
      await admin.auth.oauth.createProvider.mutate({ name: "idp", issuer: conforming.issuer, clientId: conforming.clientId, clientSecret: conforming.clientSecret, redirectUris: [REDIRECT_URI] });
      const sub = conforming.addAccount({ email: user.email!, email_verified: true });
      const { authorizationUrl } = await start(tenant.code);
      const tokens = tokensOf(await callback(await conforming.browse(authorizationUrl, sub)));
      expect(tokens.session).toMatchObject({ userId: user.id, providerUid: sub });
    } finally {
      await conforming.close();
    }
  });
});

describe("attacks", () => {
  it("refuses a tampered state, and the genuine callback still works after it", async () => {
    const { tenant, user } = await tenantWithProvider();
    const sub = idp.addAccount({ email: user.email!, email_verified: true });
    const { authorizationUrl } = await start(tenant.code);
    const back = new URL(await idp.browse(authorizationUrl, sub));
    const tampered = new URL(back);
    tampered.searchParams.set("state", `${back.searchParams.get("state")}x`);
    await expect(callback(tampered.href)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    const withoutState = new URL(back);
    withoutState.searchParams.delete("state");
    await expect(callback(withoutState.href)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect(tokensOf(await callback(back.href)).session.userId).toBe(user.id);
  });

  it("refuses a replayed callback, and a replayed code under a fresh state", async () => {
    const { tenant, user } = await tenantWithProvider();
    const sub = idp.addAccount({ email: user.email!, email_verified: true });
    const { authorizationUrl } = await start(tenant.code);
    const back = await idp.browse(authorizationUrl, sub);
    tokensOf(await callback(back));
    await expect(callback(back)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));

    // The used code carried into a new flow: the provider refuses it (used, and not this flow's PKCE).
    const fresh = new URL(await idp.browse((await start(tenant.code)).authorizationUrl, sub));
    const replay = new URL(fresh);
    replay.searchParams.set("code", new URL(back).searchParams.get("code")!);
    await expect(callback(replay.href)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect((await failedEvents(tenant.id)).map((d) => d.reason)).toEqual(["oauth_rejected"]);
    expect(await api.deps.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(1);
  });

  it("refuses an ID token whose nonce is not the one stored for the state", async () => {
    const { tenant, user } = await tenantWithProvider();
    const sub = idp.addAccount({ email: user.email!, email_verified: true });
    const { authorizationUrl } = await start(tenant.code);
    const state = new URL(authorizationUrl).searchParams.get("state")!;
    // The flow expects another nonce than the one the provider will put in the ID token (as when a
    // code obtained in someone else's flow is injected into this one).
    const [flow] = await api.deps.db.select().from(oauthStates).where(eq(oauthStates.stateHash, sha256Hex(state)));
    const secrets = JSON.parse(decryptString(api.config.encryptionKey, flow!.secretsEnc)) as { codeVerifier: string; nonce: string };
    await api.deps.db
      .update(oauthStates)
      .set({ secretsEnc: encryptString(api.config.encryptionKey, JSON.stringify({ ...secrets, nonce: "another-nonce" })) })
      .where(eq(oauthStates.id, flow!.id));
    await expect(callback(await idp.browse(authorizationUrl, sub))).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    const [failed] = await failedEvents(tenant.id);
    expect(failed).toMatchObject({ reason: "oauth_rejected", provider: "idp", detail: "OAUTH_JWT_CLAIM_COMPARISON_FAILED", claim: "nonce" });
    expect(await api.deps.db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
  });

  it("refuses a callback to another place than the flow's redirect URI", async () => {
    const { tenant, user } = await tenantWithProvider();
    const sub = idp.addAccount({ email: user.email!, email_verified: true });
    const back = new URL(await idp.browse((await start(tenant.code)).authorizationUrl, sub));
    const elsewhere = new URL(`https://evil.example/cb${back.search}`);
    await expect(callback(elsewhere.href)).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
  });

  it("keeps tenants apart: another tenant's admin cannot see or delete the provider", async () => {
    const { provider } = await tenantWithProvider();
    const { admin: other } = await tenantWithUser(api);
    expect(await other.auth.oauth.listProviders.query()).toEqual([]);
    await expect(other.auth.oauth.deleteProvider.mutate({ providerId: provider.id })).rejects.toSatisfy(refusedWith("NOT_FOUND"));
  });
});
