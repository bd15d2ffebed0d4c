import { errorCode, errorField } from "@sesame/client";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { CHANGE_PASSWORD_RULE } from "../src/services/auth/throttle.ts";
import { DEFAULT_PASSWORD, failure, insertUser, login, sessionEvents, sessionRow, startAuthApi, tenantWithUser, testClock } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

const clock = testClock();
let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi({ now: clock.now });
});
afterEach(() => clock.release());
afterAll(async () => api?.stop());

const isUnauthorized = (e: unknown) => errorCode(e) === "UNAUTHORIZED";

/** One user signed in on three devices. */
async function threeDevices() {
  const { tenant, user } = await tenantWithUser(api);
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => login(api, tenant.code, user.username)));
  return { tenant, user, a: a!, b: b!, c: c! };
}

function expectReceipt(revocation: { sessionIds: string[]; committedAt: string; effectiveAt: string | null }, sessionIds: string[]) {
  expect([...revocation.sessionIds].sort()).toEqual([...sessionIds].sort());
  expect(Date.parse(revocation.committedAt)).not.toBeNaN();
  expect(revocation.effectiveAt).not.toBeNull();
}

async function expectSignedOut(api: ApiHarness, token: { accessToken: string; refreshToken: string; session: { id: string } }, cause: string) {
  expect((await sessionRow(api, token.session.id)).state).toBe("LOCKED");
  const events = await sessionEvents(api, token.session.id, "session.locked");
  expect(events.map((e) => e.data.cause)).toEqual([cause]);
  await expect(api.deps.cache.get(token.session.id)).resolves.toMatchObject({ kind: "revoked" });
  await expect(api.user(token.accessToken).auth.me.query()).rejects.toSatisfy(isUnauthorized);
  await expect(api.anonymous().auth.refresh.mutate({ refreshToken: token.refreshToken })).rejects.toSatisfy(isUnauthorized);
}

describe("auth.me", () => {
  it("returns the user, without secrets, and the current session", async () => {
    const { user, a } = await threeDevices();
    const me = await api.user(a.accessToken).auth.me.query();
    expect(me.user).toMatchObject({ id: user.id, username: user.username, enrolled: true, locked: false });
    expect(JSON.stringify(me)).not.toMatch(/argon2|passwordHash|password_hash/);
    expect(me.session).toMatchObject({ id: a.session.id, current: true, state: "ENROLLED" });
  });

  it("refuses the token of a user locked since", async () => {
    const { tenant } = await tenantWithUser(api);
    const user = await insertUser(api, tenant.id);
    const { accessToken } = await login(api, tenant.code, user.username);
    await api.deps.db.update(users).set({ locked: true }).where(eq(users.id, user.id));
    await expect(api.user(accessToken).auth.me.query()).rejects.toSatisfy(isUnauthorized);
  });
});

describe("auth.sessions", () => {
  it("lists the caller's active sessions with `current` on the caller's own", async () => {
    const { a, b, c } = await threeDevices();
    const other = await threeDevices();
    const listed = await api.user(b.accessToken).auth.sessions.query();
    expect(listed.map((s) => s.id).sort()).toEqual([a.session.id, b.session.id, c.session.id].sort());
    expect(listed.filter((s) => s.current).map((s) => s.id)).toEqual([b.session.id]);
    expect(listed.map((s) => s.id)).not.toContain(other.a.session.id);
  });

  it("includes signed-out sessions on request", async () => {
    const { a, b } = await threeDevices();
    await api.user(a.accessToken).auth.logout.mutate();
    expect((await api.user(b.accessToken).auth.sessions.query()).map((s) => s.id)).not.toContain(a.session.id);
    const all = await api.user(b.accessToken).auth.sessions.query({ includeInactive: true });
    expect(all.find((s) => s.id === a.session.id)?.state).toBe("LOCKED");
  });
});

describe("auth.logout", () => {
  it("signs out the current session and returns the receipt", async () => {
    const { a, b } = await threeDevices();
    const { revocation } = await api.user(a.accessToken).auth.logout.mutate();
    expectReceipt(revocation, [a.session.id]);
    await expectSignedOut(api, a, "logout");
    await expect(api.user(b.accessToken).auth.me.query()).resolves.toBeTruthy();
  });
});

describe("auth.revokeSession", () => {
  it("signs out another of the caller's sessions and returns the receipt beside the session", async () => {
    const { a, b, c } = await threeDevices();
    const result = await api.user(a.accessToken).auth.revokeSession.mutate({ sessionId: b.session.id });
    expectReceipt(result.revocation, [b.session.id]);
    expect(result.session).toMatchObject({ id: b.session.id, state: "LOCKED", current: false });
    await expectSignedOut(api, b, "logout");
    await expect(api.user(c.accessToken).auth.me.query()).resolves.toBeTruthy();
  });

  it("answers NOT_FOUND for another user's session, and leaves it alone", async () => {
    const mine = await threeDevices();
    const theirs = await threeDevices();
    const error = await api.user(mine.a.accessToken).auth.revokeSession.mutate({ sessionId: theirs.a.session.id }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("NOT_FOUND");
    expect((await sessionRow(api, theirs.a.session.id)).state).toBe("ENROLLED");
  });

  it("is idempotent: revoking an already signed-out session returns an empty receipt", async () => {
    const { a, b } = await threeDevices();
    await api.user(a.accessToken).auth.revokeSession.mutate({ sessionId: b.session.id });
    const again = await api.user(a.accessToken).auth.revokeSession.mutate({ sessionId: b.session.id });
    expect(again.revocation.sessionIds).toEqual([]);
  });
});

describe("auth.revokeOtherSessions", () => {
  it("signs out every other session of the caller and keeps the current one", async () => {
    const { a, b, c } = await threeDevices();
    const { revocation } = await api.user(a.accessToken).auth.revokeOtherSessions.mutate();
    expectReceipt(revocation, [b.session.id, c.session.id]);
    await expectSignedOut(api, b, "logout");
    await expectSignedOut(api, c, "logout");
    await expect(api.user(a.accessToken).auth.me.query()).resolves.toBeTruthy();
  });
});

describe("auth.changePassword", () => {
  it("changes the password and signs out the other sessions", async () => {
    const { tenant, user, a, b, c } = await threeDevices();
    const { revocation } = await api.user(a.accessToken).auth.changePassword.mutate({ currentPassword: DEFAULT_PASSWORD, newPassword: "a much better secret" });
    expectReceipt(revocation, [b.session.id, c.session.id]);
    await expectSignedOut(api, b, "password_change");
    await expectSignedOut(api, c, "password_change");
    await expect(api.user(a.accessToken).auth.me.query()).resolves.toBeTruthy();
    await expect(login(api, tenant.code, user.username, DEFAULT_PASSWORD)).rejects.toSatisfy(isUnauthorized);
    await expect(login(api, tenant.code, user.username, "a much better secret")).resolves.toBeTruthy();
  });

  it("refuses a wrong current password, naming the field, and changes nothing", async () => {
    const { tenant, user, a, b } = await threeDevices();
    const error = await api.user(a.accessToken).auth.changePassword.mutate({ currentPassword: "not it", newPassword: "another secret" }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
    expect(errorField(error)).toBe("currentPassword");
    await expect(api.user(b.accessToken).auth.me.query()).resolves.toBeTruthy();
    await expect(login(api, tenant.code, user.username, DEFAULT_PASSWORD)).resolves.toBeTruthy();
  });

  it("wants a new password of at least 8 characters", async () => {
    const { a } = await threeDevices();
    const error = await api.user(a.accessToken).auth.changePassword.mutate({ currentPassword: DEFAULT_PASSWORD, newPassword: "short" }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
    expect(errorField(error)).toBe("newPassword");
  });

  it("throttles guesses at the current password", async () => {
    clock.pin();
    const { a } = await threeDevices();
    const answers = [];
    for (let i = 0; i <= CHANGE_PASSWORD_RULE.max; i++) {
      answers.push(await api.user(a.accessToken).auth.changePassword.mutate({ currentPassword: `guess-${i}`, newPassword: "another secret" }).then(() => null, failure));
    }
    expect(answers.slice(0, -1).every((a) => a?.code === "BAD_REQUEST")).toBe(true);
    expect(answers.at(-1)).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  });
});
