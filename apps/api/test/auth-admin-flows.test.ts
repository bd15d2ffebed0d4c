/** The auth procedures with users and codes made through the admin API, as a tenant would. */
import { errorCode } from "@sesame/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INVALID_CREDENTIALS_MESSAGE } from "../src/services/auth/login.ts";
import { clientFrom, failure, login, startAuthApi, uniqueIp } from "./auth-fixtures.ts";
import { createTenantWithAdmin, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi();
});
afterAll(async () => api?.stop());

const PASSWORD = "an admin-set password";

describe("auth with admin-made users", () => {
  it("signs in a user created with users.create, with the user's groups on the session", async () => {
    const { tenant, admin } = await createTenantWithAdmin(api);
    const user = await admin.users.create.mutate({ username: "Bob", email: "Bob@Example.test", password: PASSWORD, groups: ["sales"] });
    const byEmail = await login(api, tenant.code, "bob@example.test", PASSWORD);
    expect(byEmail.session).toMatchObject({ userId: user.id, accessGroups: ["sales"] });
    const viaAdmin = await admin.users.get.query({ userId: user.id });
    expect(viaAdmin.sessions.map((s) => s.id)).toContain(byEmail.session.id);
  });

  it("refuses a user locked with users.lock exactly like a wrong password, and signs its sessions out", async () => {
    const { tenant, admin } = await createTenantWithAdmin(api);
    const user = await admin.users.create.mutate({ username: "carol", password: PASSWORD });
    const before = await login(api, tenant.code, "carol", PASSWORD);
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    await expect(api.user(before.accessToken).auth.me.query()).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
    await expect(api.anonymous().auth.refresh.mutate({ refreshToken: before.refreshToken })).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
    const locked = await login(api, tenant.code, "carol", PASSWORD).catch(failure);
    const wrong = await login(api, tenant.code, "nobody", PASSWORD).catch(failure);
    expect(locked).toEqual(wrong);
    expect(locked).toMatchObject({ code: "UNAUTHORIZED", message: INVALID_CREDENTIALS_MESSAGE });

    await admin.users.unlock.mutate({ userId: user.id });
    await expect(login(api, tenant.code, "carol", PASSWORD)).resolves.toBeTruthy();
  });

  it("redeems a code from enrollment.createToken and activates the pendingJoin user", async () => {
    const { admin } = await createTenantWithAdmin(api, { enrollmentUrl: "https://app.example.test/enroll" });
    const user = await admin.users.create.mutate({ username: "dave" });
    expect(user.status).toBe("pendingJoin");
    const code = await admin.enrollment.createToken.mutate({ userId: user.id });
    expect(code.url).not.toContain(code.token);
    const enrollmentId = new URL(code.url!).searchParams.get("enrollment")!;
    const result = await clientFrom(api, uniqueIp()).auth.enroll.mutate({ enrollmentId, token: code.token });
    expect(result.session).toMatchObject({ userId: user.id, provider: "enrollment" });
    await expect(admin.users.get.query({ userId: user.id })).resolves.toMatchObject({ status: "active", enrolled: true });
  });

  it("signs out the user's own sessions through auth.logout as seen by the admin", async () => {
    const { tenant, admin } = await createTenantWithAdmin(api);
    const user = await admin.users.create.mutate({ username: "erin", password: PASSWORD });
    const { accessToken, session } = await login(api, tenant.code, "erin", PASSWORD);
    await api.user(accessToken).auth.logout.mutate();
    const seen = await admin.users.get.query({ userId: user.id });
    expect(seen.sessions.find((s) => s.id === session.id)?.state).toBe("LOCKED");
    expect(seen.enrolled).toBe(false);
  });
});
