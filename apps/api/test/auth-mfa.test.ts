/**
 * MFA over HTTP against the run's Postgres and cache: TOTP enrolment and confirmation, sign-in
 * challenges, single-use codes, recovery codes, the tenant policy, step-up and the admin reset.
 * The API's clock is pinned where a code's 30-second step matters; the tests act as the user's
 * authenticator with the secret the API showed.
 */
import { errorCode } from "@sesame/client";
import { decodeCacheEntry, isMfaChallenge, type MfaChallenge } from "@sesame/core";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { events, mfaFactors, mfaRecoveryCodes } from "../src/db/schema.ts";
import { decryptString } from "../src/lib/crypto.ts";
import { LOGIN_ACCOUNT_SOURCE_RULE } from "../src/services/auth/throttle.ts";
import { CHALLENGE_MAX_FAILURES } from "../src/services/mfa/challenges.ts";
import { totpCodeAt } from "../src/services/mfa/totp.ts";
import { DEFAULT_PASSWORD, clientFrom, insertUser, sessionEvents, sessionRow, startAuthApi, tenantWithUser, testClock, tokensOf, uniqueIp } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

const clock = testClock();
let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi({ now: clock.now });
});
afterEach(() => clock.release());
afterAll(async () => api?.stop());

const code = (secret: string) => totpCodeAt(secret, clock.now());
const refusedWith = (wanted: string) => (e: unknown) => errorCode(e) === wanted;

function signIn(tenantCode: string, identifier: string, ip = uniqueIp()) {
  return clientFrom(api, ip).auth.login.mutate({ tenant: tenantCode, identifier, password: DEFAULT_PASSWORD });
}

function challengeOf(result: Awaited<ReturnType<typeof signIn>>): MfaChallenge {
  if (!isMfaChallenge(result)) throw new Error("expected an MFA challenge, got tokens");
  return result;
}

/** A user who signed in and enrolled a confirmed TOTP factor; returns the secret and recovery codes. */
async function enrolledUser(settings?: Record<string, unknown>, userOptions?: { groups?: string[] }) {
  const setup = await tenantWithUser(api, settings, userOptions);
  const tokens = tokensOf(await signIn(setup.tenant.code, setup.user.username));
  const me = api.user(tokens.accessToken);
  const { secret } = await me.auth.mfa.enroll.mutate();
  const { recoveryCodes } = await me.auth.mfa.confirm.mutate({ code: code(secret) });
  return { ...setup, tokens, me, secret, recoveryCodes };
}

describe("enrolment", () => {
  it("shows the secret once with an otpauth URI, keeps it encrypted, and confirms it with a first code", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const tokens = tokensOf(await signIn(tenant.code, user.username));
    const me = api.user(tokens.accessToken);
    const enrolment = await me.auth.mfa.enroll.mutate();
    expect(enrolment).toMatchObject({ factor: "totp", algorithm: "SHA1", digits: 6, period: 30 });
    const uri = new URL(enrolment.uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(enrolment.secret);
    expect(uri.searchParams.get("issuer")).toBe("Test tenant");

    const [stored] = await api.deps.db.select().from(mfaFactors).where(eq(mfaFactors.userId, user.id));
    expect(stored!.secretEnc).not.toContain(enrolment.secret);
    expect(decryptString(api.config.encryptionKey, stored!.secretEnc)).toBe(enrolment.secret);
    expect(stored!.confirmedAt).toBeNull();
    expect((await me.auth.mfa.status.query()).totp.enrolled).toBe(false);

    const confirmed = await me.auth.mfa.confirm.mutate({ code: code(enrolment.secret) });
    expect(confirmed.tokens).toBeNull();
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.recoveryCodes).size).toBe(10);
    for (const c of confirmed.recoveryCodes) expect(c).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    const hashes = await api.deps.db.select().from(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, user.id));
    expect(hashes).toHaveLength(10);
    for (const row of hashes) expect(confirmed.recoveryCodes.some((c) => row.codeHash.includes(c.replace("-", "")))).toBe(false);

    expect(await me.auth.mfa.status.query()).toMatchObject({ policy: "optional", required: false, totp: { enrolled: true }, recoveryCodesLeft: 10 });
    // The session that proved the factor carries it.
    const row = await sessionRow(api, tokens.session.id);
    expect(row.factors).toEqual(["totp"]);
    expect(row.mfaUpdatedAt).toEqual(clock.now());
    expect(await me.auth.mfa.enroll.mutate().catch((e) => errorCode(e))).toBe("CONFLICT");
  });

  it("refuses a wrong first code and leaves the factor unconfirmed", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const me = api.user(tokensOf(await signIn(tenant.code, user.username)).accessToken);
    const { secret } = await me.auth.mfa.enroll.mutate();
    const wrong = String((Number(code(secret)) + 1) % 1_000_000).padStart(6, "0");
    await expect(me.auth.mfa.confirm.mutate({ code: wrong })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect((await me.auth.mfa.status.query()).totp.enrolled).toBe(false);
    const failed = await api.deps.db.select().from(events).where(and(eq(events.userId, user.id), eq(events.type, "auth.mfa_failed")));
    expect(failed.map((e) => e.data.reason)).toEqual(["wrong_code"]);
    expect(JSON.stringify(failed)).not.toContain(wrong);
  });

  it("is refused while the tenant's policy is off, and sign-in then never asks", async () => {
    const { tenant, user, admin } = await enrolledUser();
    await admin.tenants.update.mutate({ settings: { mfaPolicy: "off" } });
    const tokens = tokensOf(await signIn(tenant.code, user.username));
    expect(tokens.session.factors).toEqual([]);
    await expect(api.user(tokens.accessToken).auth.mfa.enroll.mutate()).rejects.toSatisfy(refusedWith("FORBIDDEN"));
  });
});

describe("sign-in with a factor", () => {
  it("answers a challenge instead of tokens, and a right code finishes it with factors and mfaUpdatedAt", async () => {
    clock.pin();
    const { tenant, user, secret } = await enrolledUser();
    const result = await signIn(tenant.code, user.username);
    expect(result).not.toHaveProperty("accessToken");
    const challenge = challengeOf(result);
    expect(challenge).toMatchObject({ mfaRequired: true, factors: ["totp"], enrollmentRequired: false });
    clock.advance(30);
    const tokens = await api.anonymous().auth.mfa.verify.mutate({ challengeToken: challenge.challengeToken, code: code(secret) });
    expect(tokens.session).toMatchObject({ provider: "password", factors: ["totp"], mfaUpdatedAt: clock.now().toISOString() });
    const me = await api.user(tokens.accessToken).auth.me.query();
    expect(me.session.factors).toEqual(["totp"]);
    // The challenge is single-use.
    clock.advance(30);
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken: challenge.challengeToken, code: code(secret) })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
  });

  it("refuses a wrong code, and the challenge dies after CHALLENGE_MAX_FAILURES of them", async () => {
    clock.pin();
    const { tenant, user, secret } = await enrolledUser();
    const { challengeToken } = challengeOf(await signIn(tenant.code, user.username));
    for (let i = 0; i < CHALLENGE_MAX_FAILURES; i++) {
      await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken, code: "000000" === code(secret) ? "111111" : "000000" })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    }
    clock.advance(30);
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken, code: code(secret) })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
  });

  it("accepts a code once: the same code again (same 30-second step) is refused as replayed", async () => {
    clock.pin();
    const { tenant, user, secret } = await enrolledUser();
    clock.advance(30);
    const used = code(secret);
    const first = challengeOf(await signIn(tenant.code, user.username));
    await api.anonymous().auth.mfa.verify.mutate({ challengeToken: first.challengeToken, code: used });
    const second = challengeOf(await signIn(tenant.code, user.username));
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken: second.challengeToken, code: used })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    const failed = await api.deps.db.select().from(events).where(and(eq(events.userId, user.id), eq(events.type, "auth.mfa_failed")));
    expect(failed.map((e) => e.data.reason)).toEqual(["code_replayed"]);
    // The previous step's code, still inside the drift window, is no good either: steps only move forward.
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken: second.challengeToken, code: totpCodeAt(secret, new Date(clock.now().getTime() - 30_000)) })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    clock.advance(30);
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken: second.challengeToken, code: code(secret) })).resolves.toHaveProperty("accessToken");
  });

  it("accepts a recovery code once, in any case and spacing", async () => {
    clock.pin();
    const { tenant, user, recoveryCodes, me } = await enrolledUser();
    const recovery = recoveryCodes[3]!;
    const first = challengeOf(await signIn(tenant.code, user.username));
    const tokens = await api.anonymous().auth.mfa.verify.mutate({ challengeToken: first.challengeToken, code: ` ${recovery.toLowerCase().replace("-", " ")} ` });
    expect(tokens.session.factors).toEqual(["totp"]);
    const second = challengeOf(await signIn(tenant.code, user.username));
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken: second.challengeToken, code: recovery })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect((await me.auth.mfa.status.query()).recoveryCodesLeft).toBe(9);
  });

  it("counts wrong codes in the account's password budget: past it, TOO_MANY_REQUESTS even for a right code", async () => {
    clock.pin();
    const { tenant, user, secret } = await enrolledUser();
    const ip = uniqueIp();
    const wrong = () => (code(secret) === "000000" ? "111111" : "000000");
    let failures = 0;
    while (failures < LOGIN_ACCOUNT_SOURCE_RULE.max) {
      const { challengeToken } = challengeOf(await signIn(tenant.code, user.username, ip));
      for (let i = 0; i < CHALLENGE_MAX_FAILURES && failures < LOGIN_ACCOUNT_SOURCE_RULE.max; i++, failures++) {
        await expect(clientFrom(api, ip).auth.mfa.verify.mutate({ challengeToken, code: wrong() })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
      }
    }
    // The budget is the password's too: the password itself is now refused from this source.
    await expect(signIn(tenant.code, user.username, ip)).rejects.toSatisfy(refusedWith("TOO_MANY_REQUESTS"));
    const elsewhere = challengeOf(await signIn(tenant.code, user.username));
    clock.advance(30);
    await expect(clientFrom(api, ip).auth.mfa.verify.mutate({ challengeToken: elsewhere.challengeToken, code: code(secret) })).rejects.toSatisfy(refusedWith("TOO_MANY_REQUESTS"));
  });
});

describe("tenant policy", () => {
  it("required for a group: a member without a factor enrols during sign-in and gets the session from confirm", async () => {
    clock.pin();
    const { tenant, admin } = await tenantWithUser(api, { mfaPolicy: "required", mfaRequiredGroups: ["finance"] });
    expect((await admin.tenants.get.query()).settings).toMatchObject({ mfaPolicy: "required", mfaRequiredGroups: ["finance"] });
    const member = await insertUser(api, tenant.id, { groups: ["finance"] });
    const other = await insertUser(api, tenant.id, { groups: ["staff"] });

    expect(tokensOf(await signIn(tenant.code, other.username)).session.factors).toEqual([]);

    const challenge = challengeOf(await signIn(tenant.code, member.username));
    expect(challenge.enrollmentRequired).toBe(true);
    // Nothing to verify yet: the challenge is for enrolling.
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken: challenge.challengeToken, code: "123456" })).rejects.toSatisfy(refusedWith("BAD_REQUEST"));
    const { secret } = await api.anonymous().auth.mfa.enroll.mutate({ challengeToken: challenge.challengeToken });
    const confirmed = await api.anonymous().auth.mfa.confirm.mutate({ challengeToken: challenge.challengeToken, code: code(secret) });
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(confirmed.tokens!.session).toMatchObject({ userId: member.id, factors: ["totp"], provider: "password" });

    // From now on the member is asked for the factor, and may not drop it.
    const next = challengeOf(await signIn(tenant.code, member.username));
    expect(next.enrollmentRequired).toBe(false);
    clock.advance(30);
    await expect(api.user(confirmed.tokens!.accessToken).auth.mfa.disable.mutate({ code: code(secret) })).rejects.toSatisfy(refusedWith("FORBIDDEN"));
  });

  it("rejects a bad policy naming the field", async () => {
    const { admin } = await tenantWithUser(api);
    const error = await admin.tenants.update.mutate({ settings: { mfaPolicy: "sometimes" as never } }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
    expect(JSON.stringify((error as { data?: unknown }).data)).toContain("mfaPolicy");
  });
});

describe("step-up and disable", () => {
  it("auth.verifyFactor raises an existing session's factors and rewrites its cache entry", async () => {
    clock.pin();
    const { user, admin, secret } = await enrolledUser();
    const started = await admin.sessions.create.mutate({ userId: user.id });
    expect(started.session.factors).toEqual([]);
    const before = await sessionRow(api, started.session.id);
    clock.advance(30);
    const { session } = await api.user(started.accessToken).auth.verifyFactor.mutate({ code: code(secret) });
    expect(session).toMatchObject({ id: started.session.id, factors: ["totp"], mfaUpdatedAt: clock.now().toISOString() });
    const after = await sessionRow(api, started.session.id);
    expect(after.version).toBe(before.version + 1);
    const entry = decodeCacheEntry(await api.deps.cache.get(started.session.id));
    expect(entry).toMatchObject({ kind: "active", version: after.version, factors: ["totp"] });
    expect((await sessionEvents(api, started.session.id, "session.factors_verified")).map((e) => e.data.factors)).toEqual([["totp"]]);
    // The same code cannot step up again.
    await expect(api.user(started.accessToken).auth.verifyFactor.mutate({ code: code(secret) })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
  });

  it("the user disables the factor with a code; sign-in then gives tokens again", async () => {
    clock.pin();
    const { tenant, user, me, secret } = await enrolledUser();
    clock.advance(30);
    expect(await me.auth.mfa.disable.mutate({ code: code(secret) })).toMatchObject({ totp: { enrolled: false }, recoveryCodesLeft: 0 });
    expect(await api.deps.db.select().from(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, user.id))).toEqual([]);
    expect(tokensOf(await signIn(tenant.code, user.username)).session.factors).toEqual([]);
  });
});

describe("admin reset", () => {
  it("users.resetFactors removes the factor and signs every session out with a receipt", async () => {
    clock.pin();
    const { tenant, user, admin, tokens, secret } = await enrolledUser();
    clock.advance(30);
    const second = await api.anonymous().auth.mfa.verify.mutate({ challengeToken: challengeOf(await signIn(tenant.code, user.username)).challengeToken, code: code(secret) });
    const pending = challengeOf(await signIn(tenant.code, user.username));

    const { revocation, user: after } = await admin.users.resetFactors.mutate({ userId: user.id });
    expect(after.id).toBe(user.id);
    expect([...revocation.sessionIds].sort()).toEqual([tokens.session.id, second.session.id].sort());
    expect(revocation.effectiveAt).not.toBeNull();
    for (const id of revocation.sessionIds) {
      expect((await sessionRow(api, id)).state).toBe("LOCKED");
      expect((await sessionEvents(api, id, "session.locked")).map((e) => e.data.cause)).toEqual(["factors_reset"]);
      expect(decodeCacheEntry(await api.deps.cache.get(id))).toMatchObject({ kind: "revoked", reason: "session_revoked" });
    }
    await expect(api.user(second.accessToken).auth.me.query()).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    // A challenge issued before the reset is void; sign-in now needs only the password.
    clock.advance(30);
    await expect(api.anonymous().auth.mfa.verify.mutate({ challengeToken: pending.challengeToken, code: code(secret) })).rejects.toSatisfy(refusedWith("UNAUTHORIZED"));
    expect(tokensOf(await signIn(tenant.code, user.username)).session.factors).toEqual([]);
  });

  it("answers NOT_FOUND for another tenant's user", async () => {
    const { user } = await enrolledUser();
    const { admin: stranger } = await tenantWithUser(api);
    await expect(stranger.users.resetFactors.mutate({ userId: user.id })).rejects.toSatisfy(refusedWith("NOT_FOUND"));
    expect(await api.deps.db.select().from(mfaFactors).where(eq(mfaFactors.userId, user.id))).toHaveLength(1);
  });
});
