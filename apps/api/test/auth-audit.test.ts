/**
 * Failed sign-ins, failed refreshes and throttled attempts leave events (never a secret), and an
 * attacker cannot make them without bound.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { events } from "../src/db/schema.ts";
import { AUDIT_UNATTRIBUTED_RULE } from "../src/services/auth/audit.ts";
import { LOGIN_ACCOUNT_SOURCE_RULE, LOGIN_SOURCE_RULE } from "../src/services/auth/throttle.ts";
import { DEFAULT_PASSWORD, clientFrom, login, newEnrollmentCode, startAuthApi, tenantWithUser, testClock, uniqueIp } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

const clock = testClock();
let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi({ now: clock.now });
});
afterEach(() => clock.release());
afterAll(async () => api?.stop());

const eventsOf = (tenantId: string, type: string) =>
  api.deps.db
    .select()
    .from(events)
    .where(and(eq(events.tenantId, tenantId), eq(events.type, type)));

async function signIn(ip: string, tenant: string, identifier: string, password: string) {
  return clientFrom(api, ip)
    .auth.login.mutate({ tenant, identifier, password })
    .catch(() => null);
}

describe("auth events", () => {
  it("records a wrong password as auth.sign_in_failed on the user, with the IP and without the password", async () => {
    const { tenant, user, admin } = await tenantWithUser(api);
    const ip = uniqueIp();
    await signIn(ip, tenant.code, user.username, "guess-number-one");
    const [event] = (await admin.events.list.query({ userId: user.id, type: "auth.sign_in_failed" })).objects;
    expect(event).toMatchObject({ tenantId: tenant.id, userId: user.id, actor: { kind: "public", id: null }, data: { reason: "wrong_password", ip } });
    expect(JSON.stringify(event)).not.toContain("guess-number-one");
  });

  it("records an unknown identifier with an HMAC of it, not the identifier", async () => {
    const { tenant } = await tenantWithUser(api);
    await signIn(uniqueIp(), tenant.code, "mallory-probe", "whatever");
    const [event] = await eventsOf(tenant.id, "auth.sign_in_failed");
    expect(event).toMatchObject({ userId: null, data: { reason: "unknown_user", identifierHash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(JSON.stringify(event)).not.toContain("mallory-probe");
  });

  it("records a throttled source once per window, and the refused attempts not at all", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const ip = uniqueIp();
    for (let i = 0; i < LOGIN_ACCOUNT_SOURCE_RULE.max + 5; i++) await signIn(ip, tenant.code, user.username, "wrong");
    expect(await eventsOf(tenant.id, "auth.sign_in_failed")).toHaveLength(LOGIN_ACCOUNT_SOURCE_RULE.max);
    const throttled = await eventsOf(tenant.id, "auth.throttled");
    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toMatchObject({ userId: user.id, data: { bucket: "login_account_source", limit: LOGIN_ACCOUNT_SOURCE_RULE.max, ip } });
  });

  it("records at most AUDIT_UNATTRIBUTED_RULE.max failures per tenant and window for identifiers that match no user", async () => {
    clock.pin();
    const { tenant } = await tenantWithUser(api);
    const attempts = AUDIT_UNATTRIBUTED_RULE.max + 10;
    let ip = uniqueIp();
    for (let i = 0; i < attempts; i++) {
      if (i % LOGIN_SOURCE_RULE.max === 0) ip = uniqueIp();
      await signIn(ip, tenant.code, `spray-${i}`, "x");
    }
    expect(await eventsOf(tenant.id, "auth.sign_in_failed")).toHaveLength(AUDIT_UNATTRIBUTED_RULE.max);
  });

  it("records a refresh with a signed-out session's token as auth.refresh_failed, without the token", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const { accessToken, refreshToken, session } = await login(api, tenant.code, user.username, DEFAULT_PASSWORD);
    await api.user(accessToken).auth.logout.mutate();
    await expect(clientFrom(api, uniqueIp()).auth.refresh.mutate({ refreshToken })).rejects.toThrow();
    // Written after the answer (so it cannot slow "revoked" down against "unknown"): wait for it.
    let recorded: Awaited<ReturnType<typeof eventsOf>> = [];
    for (let i = 0; i < 100 && recorded.length === 0; i++) {
      recorded = await eventsOf(tenant.id, "auth.refresh_failed");
      if (recorded.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ userId: user.id, sessionId: session.id, data: { sessionState: "LOCKED", tokenRevoked: true } });
    expect(JSON.stringify(recorded[0])).not.toContain(refreshToken.slice(3));
  });

  it("records a wrong enrollment code as auth.sign_in_failed on the code's user", async () => {
    const { tenant, user } = await tenantWithUser(api, undefined, { password: null, status: "pendingJoin" });
    const code = await newEnrollmentCode(api, tenant.id, user.id);
    const wrong = String((Number(code.token) + 1) % 100_000_000).padStart(8, "0");
    await expect(clientFrom(api, uniqueIp()).auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: wrong })).rejects.toThrow();
    const [event] = await eventsOf(tenant.id, "auth.sign_in_failed");
    expect(event).toMatchObject({ userId: user.id, data: { method: "enrollment", enrollmentId: code.enrollmentId } });
    expect(JSON.stringify(event)).not.toContain(wrong);
  });
});
