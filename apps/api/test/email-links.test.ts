/**
 * Password reset and email verification over HTTP, with the mail going through a real SMTP server
 * started here (smtp-server) and read back with mailparser: the tests take the token from the mail.
 */
import type { AddressInfo } from "node:net";
import { errorCode } from "@sesame/client";
import { and, eq } from "drizzle-orm";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, users, userTokens } from "../src/db/schema.ts";
import { INVALID_LINK_MESSAGE, PASSWORD_RESET_TTL_SECONDS, RESET_REQUESTED_MESSAGE } from "../src/services/auth/email-links.ts";
import { RESET_IDENTIFIER_RULE } from "../src/services/auth/throttle.ts";
import { DEFAULT_PASSWORD, clientFrom, failure, insertUser, login, startAuthApi, testClock, uniqueIp } from "./auth-fixtures.ts";
import { createTenantWithAdmin, type ApiHarness } from "./harness.ts";

const RESET_URL = "https://app.example.test/reset";
const VERIFY_URL = "https://app.example.test/verify";
const NEW_PASSWORD = "a brand new passphrase";

const inbox: ParsedMail[] = [];
let delivered: () => void = () => undefined;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream, _session, callback) {
    simpleParser(stream)
      .then((mail) => {
        inbox.push(mail);
        delivered();
        callback();
      })
      .catch(callback);
  },
});

const addressesOf = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a?.value.map((v) => v.address) ?? []);

/** The next mail to `to` that arrives after `seen` mails (waits for it; the test timeout bounds the wait). */
async function mailTo(to: string, seen = 0): Promise<ParsedMail> {
  for (;;) {
    const mail = inbox.slice(seen).find((m) => addressesOf(m).includes(to));
    if (mail) return mail;
    await new Promise<void>((resolve) => (delivered = resolve));
  }
}

const tokenIn = (mail: ParsedMail) => /#token=([A-Za-z0-9_-]{43})/.exec(mail.text ?? "")?.[1] ?? null;

let api: ApiHarness;
const clock = testClock();
beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const { port } = smtp.server.address() as AddressInfo;
  api = await startAuthApi({ now: clock.now, config: { mail: { kind: "smtp", transport: `smtp://127.0.0.1:${port}`, from: "Sesame <no-reply@sesame.test>" } } });
});
afterAll(async () => {
  await api?.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

async function tenantWithMailUser(settings: Record<string, unknown> = { passwordResetUrl: RESET_URL, emailVerificationUrl: VERIFY_URL }) {
  const tenant = await createTenantWithAdmin(api, settings);
  const user = await insertUser(api, tenant.tenant.id);
  return { ...tenant, user: { ...user, email: user.email! } };
}

const requestReset = (tenant: string, identifier: string) => clientFrom(api, uniqueIp()).auth.requestPasswordReset.mutate({ tenant, identifier });

async function resetToken(tenantCode: string, identifier: string, email: string): Promise<string> {
  const seen = inbox.length;
  await requestReset(tenantCode, identifier);
  return tokenIn(await mailTo(email, seen))!;
}

const tokensOf = (userId: string) => api.deps.db.select().from(userTokens).where(eq(userTokens.userId, userId));

describe("password reset by email", () => {
  it("mails a one-time link; redeeming it sets the password and signs every session out with a receipt", async () => {
    const { tenant, admin, user } = await tenantWithMailUser();
    const sessions = [await login(api, tenant.code, user.username), await login(api, tenant.code, user.email)];

    const seen = inbox.length;
    await expect(requestReset(tenant.code, user.username)).resolves.toEqual({ message: RESET_REQUESTED_MESSAGE });
    const mail = await mailTo(user.email, seen);
    expect(mail.subject).toBe("Reset your Test tenant password");
    expect(mail.from?.value).toEqual([{ name: "Sesame", address: "no-reply@sesame.test" }]);
    expect(mail.text).toContain(`${RESET_URL}#token=`);
    const [stored] = await tokensOf(user.id);
    expect(stored!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(mail.text).not.toContain(stored!.tokenHash);

    const { revocation } = await api.anonymous().auth.resetPassword.mutate({ token: tokenIn(mail)!, newPassword: NEW_PASSWORD });
    expect(revocation.sessionIds.sort()).toEqual(sessions.map((s) => s.session.id).sort());
    expect(revocation.effectiveAt).not.toBeNull();
    const listed = await admin.sessions.list.query({ userId: user.id, includeInactive: true });
    expect(listed.map((s) => s.state)).toEqual(["LOCKED", "LOCKED"]);
    await expect(api.user(sessions[0]!.accessToken).auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });

    await expect(login(api, tenant.code, user.username)).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    await expect(login(api, tenant.code, user.username, NEW_PASSWORD)).resolves.toMatchObject({ session: { userId: user.id } });
    // The link reached the address: it is verified now.
    expect((await admin.users.get.query({ userId: user.id })).emailVerifiedAt).not.toBeNull();
    const types = (await api.deps.db.select().from(events).where(eq(events.userId, user.id))).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["user.password_reset_requested", "user.password_reset", "session.locked"]));
  });

  it("answers an unknown user, an unknown tenant, a user without email and a locked user exactly as a real one, and mails none of them", async () => {
    const { tenant, user } = await tenantWithMailUser();
    const noEmail = await insertUser(api, tenant.id, { email: null });
    const locked = await insertUser(api, tenant.id, { locked: true });
    const answers = await Promise.all([
      requestReset(tenant.code, user.username),
      requestReset(tenant.code, "nobody-here"),
      requestReset(tenant.code, "nobody@example.test"),
      requestReset("NOSUCHTENANT", user.username),
      requestReset(tenant.code, noEmail.username),
      requestReset(tenant.code, locked.username),
    ]);
    for (const answer of answers) expect(answer).toEqual({ message: RESET_REQUESTED_MESSAGE });
    expect(await tokensOf(noEmail.id)).toEqual([]);
    expect(await tokensOf(locked.id)).toEqual([]);
    await mailTo(user.email);
    expect(inbox.filter((m) => addressesOf(m).includes(locked.email!))).toEqual([]);
  });

  it("refuses a tampered, a reused, a replaced and an expired token with one error naming token", async () => {
    const { tenant, user } = await tenantWithMailUser();
    const anonymous = api.anonymous();
    const refusal = (token: string) => anonymous.auth.resetPassword.mutate({ token, newPassword: NEW_PASSWORD }).catch((e: unknown) => ({ ...failure(e), field: (e as { data?: { field?: string } }).data?.field }));
    const expected = { code: "BAD_REQUEST", message: INVALID_LINK_MESSAGE, field: "token", httpStatus: 400, retryAfterSeconds: undefined };

    const token = await resetToken(tenant.code, user.username, user.email);
    const tampered = `${token.slice(0, 10)}${token[10] === "A" ? "B" : "A"}${token.slice(11)}`;
    expect(await refusal(tampered)).toEqual(expected);
    await expect(anonymous.auth.resetPassword.mutate({ token, newPassword: NEW_PASSWORD })).resolves.toHaveProperty("revocation");
    expect(await refusal(token)).toEqual(expected);

    // Asking again kills the earlier link.
    const older = await resetToken(tenant.code, user.email, user.email);
    const newer = await resetToken(tenant.code, user.email, user.email);
    expect(await refusal(older)).toEqual(expected);

    clock.pin();
    try {
      const late = await resetToken(tenant.code, user.username, user.email);
      clock.advance(PASSWORD_RESET_TTL_SECONDS + 1);
      expect(await refusal(late)).toEqual(expected);
      expect(await refusal(newer)).toEqual(expected);
    } finally {
      clock.release();
    }
    await expect(anonymous.auth.resetPassword.mutate({ token: "short", newPassword: NEW_PASSWORD })).rejects.toMatchObject({ data: { code: "BAD_REQUEST", field: "token" } });
  });

  it("throttles requests per identifier, alike for an account that exists and one that does not", async () => {
    const { tenant, user } = await tenantWithMailUser();
    clock.pin();
    try {
      for (const identifier of [user.username, "ghost-user"]) {
        for (let i = 0; i < RESET_IDENTIFIER_RULE.max; i++) await requestReset(tenant.code, identifier);
        const refused = await requestReset(tenant.code, identifier).catch((e: unknown) => failure(e));
        expect(refused).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429 });
      }
    } finally {
      clock.release();
    }
  });

  it("puts the token itself in the mail when the tenant has no passwordResetUrl", async () => {
    const { tenant, user } = await tenantWithMailUser({});
    const seen = inbox.length;
    await requestReset(tenant.code, user.username);
    const mail = await mailTo(user.email, seen);
    const code = /^([A-Za-z0-9_-]{43})$/m.exec(mail.text ?? "")?.[1];
    expect(code).toBeDefined();
    await expect(api.anonymous().auth.resetPassword.mutate({ token: code!, newPassword: NEW_PASSWORD })).resolves.toHaveProperty("revocation");
  });
});

describe("email verification", () => {
  it("an admin mails a link; the link verifies the address once", async () => {
    const { admin, user } = await tenantWithMailUser();
    expect((await admin.users.get.query({ userId: user.id })).emailVerifiedAt).toBeNull();
    const seen = inbox.length;
    const sent = await admin.users.sendEmailVerification.mutate({ userId: user.id });
    expect(sent.sentTo).toBe(user.email);
    const mail = await mailTo(user.email, seen);
    expect(mail.text).toContain(`${VERIFY_URL}#token=`);
    const verified = await api.anonymous().auth.verifyEmail.mutate({ token: tokenIn(mail)! });
    expect(verified.email).toBe(user.email);
    expect((await admin.users.get.query({ userId: user.id })).emailVerifiedAt).toBe(verified.emailVerifiedAt);
    await expect(api.anonymous().auth.verifyEmail.mutate({ token: tokenIn(mail)! })).rejects.toMatchObject({ data: { code: "BAD_REQUEST", field: "token" }, message: INVALID_LINK_MESSAGE });
  });

  it("a user asks for their own link; a link sent before the address changed verifies nothing, and a new address starts unverified", async () => {
    const { tenant, admin, user } = await tenantWithMailUser();
    const { accessToken } = await login(api, tenant.code, user.username, DEFAULT_PASSWORD);
    const seen = inbox.length;
    await api.user(accessToken).auth.requestEmailVerification.mutate();
    const first = await mailTo(user.email, seen);
    await api.anonymous().auth.verifyEmail.mutate({ token: tokenIn(first)! });

    const seen2 = inbox.length;
    await admin.users.sendEmailVerification.mutate({ userId: user.id });
    const second = await mailTo(user.email, seen2);
    await admin.users.update.mutate({ userId: user.id, email: "moved@example.test" });
    expect((await admin.users.get.query({ userId: user.id })).emailVerifiedAt).toBeNull();
    await expect(api.anonymous().auth.verifyEmail.mutate({ token: tokenIn(second)! })).rejects.toMatchObject({ data: { code: "BAD_REQUEST", field: "token" } });
    const [row] = await api.deps.db.select({ at: users.emailVerifiedAt }).from(users).where(and(eq(users.id, user.id)));
    expect(row!.at).toBeNull();
  });

  it("answers a user without email with BAD_REQUEST, and another tenant's user with NOT_FOUND", async () => {
    const { tenant, admin } = await tenantWithMailUser();
    const noEmail = await insertUser(api, tenant.id, { email: null });
    expect(errorCode(await admin.users.sendEmailVerification.mutate({ userId: noEmail.id }).catch((e: unknown) => e))).toBe("BAD_REQUEST");
    const other = await tenantWithMailUser();
    expect(errorCode(await admin.users.sendEmailVerification.mutate({ userId: other.user.id }).catch((e: unknown) => e))).toBe("NOT_FOUND");
  });
});
