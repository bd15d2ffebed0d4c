import type * as Argon2 from "@node-rs/argon2";
import { createSesameClient, errorCode } from "@sesame/client";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { users } from "../src/db/schema.ts";
import { REDACTED_PATHS } from "../src/lib/logger.ts";
import { INVALID_CREDENTIALS_MESSAGE } from "../src/services/auth/login.ts";
import { DEFAULT_PASSWORD, clientFrom, failure, insertUser, login, sessionEvents, sessionRow, startAuthApi, tenantWithUser, tokensOf, uniqueIp } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

// A pass-through spy: the real argon2 runs; the test only counts which hashes it verified.
const { argon2Verify } = vi.hoisted(() => ({ argon2Verify: vi.fn() }));
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof Argon2>();
  argon2Verify.mockImplementation(real.verify);
  return { ...real, verify: argon2Verify };
});

let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi();
});
afterAll(async () => api?.stop());

describe("auth.login", () => {
  it("signs in by username and returns a session with access and refresh tokens", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const result = await login(api, tenant.code, user.username);
    expect(result.session).toMatchObject({ userId: user.id, tenantId: tenant.id, state: "ENROLLED", provider: "password", current: true });
    expect(result.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(result.accessTokenExpiresAt)).toBeGreaterThan(Date.now());
    const me = await api.user(result.accessToken).auth.me.query();
    expect(me.user.id).toBe(user.id);
    expect(me.session).toMatchObject({ id: result.session.id, current: true });
  });

  it("accepts the email or a differently-cased username, and a lower-case tenant code", async () => {
    const { tenant, user } = await tenantWithUser(api, undefined, { username: "Alice.Smith", email: "alice@example.test" });
    await expect(login(api, tenant.code, "ALICE@Example.test")).resolves.toMatchObject({ session: { userId: user.id } });
    await expect(login(api, tenant.code.toLowerCase(), "alice.smith")).resolves.toMatchObject({ session: { userId: user.id } });
  });

  it("activates a pendingJoin user on first sign-in", async () => {
    const { tenant, user } = await tenantWithUser(api, undefined, { status: "pendingJoin" });
    const { accessToken } = await login(api, tenant.code, user.username);
    const me = await api.user(accessToken).auth.me.query();
    expect(me.user).toMatchObject({ status: "active", enrolled: true });
  });

  it("answers unknown user, wrong password, locked user, user without password and unknown tenant identically", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const locked = await insertUser(api, tenant.id, { locked: true });
    const noPassword = await insertUser(api, tenant.id, { password: null });
    const attempts = [
      login(api, tenant.code, "nobody-here"),
      login(api, tenant.code, user.username, "wrong password"),
      login(api, tenant.code, locked.username),
      login(api, tenant.code, noPassword.username, "anything at all"),
      login(api, "NOSUCHTENANT", user.username),
    ];
    const answers = (await Promise.allSettled(attempts)).map((r) => (r.status === "rejected" ? failure(r.reason) : "signed in"));
    for (const answer of answers) {
      expect(answer).toEqual({ code: "UNAUTHORIZED", message: INVALID_CREDENTIALS_MESSAGE, httpStatus: 401, retryAfterSeconds: undefined });
    }
  });

  it("does the same argon2id verification for an unknown user, a wrong password, a locked user and an unknown tenant", async () => {
    // Equal work rather than equal time (timing belongs in benchmarks): every refusal verifies one
    // argon2id hash — the user's, or the dummy one — so none answers faster than a wrong password.
    const { tenant, user } = await tenantWithUser(api);
    const locked = await insertUser(api, tenant.id, { locked: true });
    const verifications = async (identifier: string, tenantCode = tenant.code) => {
      argon2Verify.mockClear();
      await login(api, tenantCode, identifier, "wrong password").catch(() => undefined);
      return argon2Verify.mock.calls.map(([hash]) => String(hash).split("$")[1]);
    };
    expect(await verifications(user.username)).toEqual(["argon2id"]);
    expect(await verifications("ghost-user")).toEqual(["argon2id"]);
    expect(await verifications(locked.username)).toEqual(["argon2id"]);
    expect(await verifications(user.username, "NOSUCHTENANT")).toEqual(["argon2id"]);
  });

  it("records the X-Forwarded-For client IP when the proxy is trusted", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const ip = uniqueIp();
    const { session } = tokensOf(await clientFrom(api, ip).auth.login.mutate({ tenant: tenant.code, identifier: user.username, password: DEFAULT_PASSWORD }));
    expect(session.ip).toBe(ip);
  });

  it("reads the client IP from an X-Forwarded-For entry with a port, and never from X-Real-IP", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const signIn = async (headers: Record<string, string>) =>
      tokensOf(await createSesameClient({ url: api.url, headers }).auth.login.mutate({ tenant: tenant.code, identifier: user.username, password: DEFAULT_PASSWORD }));
    expect((await signIn({ "x-forwarded-for": "6.6.6.6, 203.0.113.9:4711" })).session.ip).toBe("203.0.113.9");
    expect((await signIn({ "x-forwarded-for": "[2001:db8::9]:443" })).session.ip).toBe("2001:db8::9");
    // What the proxy appended is unreadable, or missing: the peer's address, not the client's X-Real-IP.
    expect((await signIn({ "x-forwarded-for": "garbage", "x-real-ip": "6.6.6.6" })).session.ip).toBe("127.0.0.1");
    expect((await signIn({ "x-real-ip": "6.6.6.6" })).session.ip).toBe("127.0.0.1");
  });

  it("with multipleDevicesPerUser false, signing in signs out the user's other session", async () => {
    const { tenant, user } = await tenantWithUser(api, { multipleDevicesPerUser: false });
    const first = await login(api, tenant.code, user.username);
    const second = await login(api, tenant.code, user.username);
    expect((await sessionRow(api, first.session.id)).state).toBe("LOCKED");
    const [locked] = await sessionEvents(api, first.session.id, "session.locked");
    expect(locked?.data).toMatchObject({ cause: "single_device_policy" });
    await expect(api.user(first.accessToken).auth.me.query()).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
    await expect(api.anonymous().auth.refresh.mutate({ refreshToken: first.refreshToken })).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
    await expect(api.user(second.accessToken).auth.me.query()).resolves.toMatchObject({ session: { id: second.session.id } });
  });

  it("re-enrolls the same session when the same device signs in again", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const device = { device: { id: "device-42" } };
    const first = await login(api, tenant.code, user.username, DEFAULT_PASSWORD, device);
    const second = await login(api, tenant.code, user.username, DEFAULT_PASSWORD, device);
    expect(second.session.id).toBe(first.session.id);
    await expect(api.anonymous().auth.refresh.mutate({ refreshToken: first.refreshToken })).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
  });

  it("stores only an argon2id hash of the password", async () => {
    const { user } = await tenantWithUser(api);
    const [row] = await api.deps.db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, user.id));
    expect(row?.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.hash).not.toContain(DEFAULT_PASSWORD);
  });

  it("is a mutation: a GET with the password in the URL is refused", async () => {
    const input = encodeURIComponent(JSON.stringify({ tenant: "X", identifier: "y", password: "z" }));
    const res = await fetch(`${api.url}/trpc/auth.login?input=${input}`);
    expect(res.status).toBe(405);
  });

  it("keeps every auth secret out of the logs (redaction covers the inputs' fields)", () => {
    const lines: string[] = [];
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, { write: (line: string) => lines.push(line) });
    const secrets = { password: "pw-secret", currentPassword: "cur-secret", newPassword: "new-secret", refreshToken: "rt_secret", accessToken: "at-secret", token: "12345678" };
    logger.info({ input: secrets }, "auth call");
    logger.info(secrets, "auth call");
    for (const value of Object.values(secrets)) expect(lines.join("\n")).not.toContain(value);
  });
});
