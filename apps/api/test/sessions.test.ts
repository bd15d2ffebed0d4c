import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureOf, newSession, newUser, randomId, receiptShape, sessionsInEveryState, sessionStates, type AdminClient, startWithTwoTenants, userIdsNotInTenant } from "./admin-fixtures.ts";
import { createTenantWithAdmin, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
let other: AdminClient;
beforeAll(async () => {
  ({ api, admin, other } = await startWithTwoTenants());
});
afterAll(async () => api?.stop());

const IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

/** Moves a session's end into the past, as if its TTL had run out. */
const expire = (sessionId: string) => api.deps.db.execute(sql`update sessions set expires_at = now() - interval '1 minute' where id = ${sessionId}`);

/** A user in `admin`'s tenant with one session, and the same in the other tenant. */
async function userWithSession(client: AdminClient = admin) {
  const user = await newUser(client, { groups: ["base"] });
  const started = await newSession(client, user.id);
  return { user, ...started };
}

describe("sessions.create", () => {
  it("starts an ENROLLED admin session with the user's default groups and a token pair", async () => {
    const user = await newUser(admin, { groups: ["a", "b"] });
    const created = await admin.sessions.create.mutate({ userId: user.id });
    expect(created.session).toMatchObject({ userId: user.id, state: "ENROLLED", provider: "admin", accessGroups: ["a", "b"], current: false });
    expect(created.accessToken.split(".")).toHaveLength(3);
    expect(created.refreshToken).toMatch(/^rt_/);
    expect(Date.parse(created.accessTokenExpiresAt)).toBeGreaterThan(Date.now());
  });

  it("takes the given access groups, provider and the client the backend reports", async () => {
    const user = await newUser(admin, { groups: ["default"] });
    const { session } = await admin.sessions.create.mutate({
      userId: user.id,
      accessGroups: ["custom"],
      provider: "google",
      client: { userAgent: IPHONE_UA, ip: "203.0.113.9", device: { id: "device-1" }, label: "Jane's phone" },
    });
    expect(session).toMatchObject({
      accessGroups: ["custom"],
      provider: "google",
      ip: "203.0.113.9",
      osName: "iOS",
      deviceBrand: "Apple",
      device: { id: "device-1" },
      label: "Jane's phone",
    });
  });

  it("caps ttlSeconds at the tenant's session TTL", async () => {
    const { admin: short } = await createTenantWithAdmin(api, { sessionTtlSeconds: 3600 });
    const user = await newUser(short);
    const { session } = await short.sessions.create.mutate({ userId: user.id, ttlSeconds: 86_400 });
    expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(3600 * 1000);
  });

  it("signs out the user's other sessions when the tenant allows one device per user", async () => {
    const { admin: single } = await createTenantWithAdmin(api, { multipleDevicesPerUser: false });
    const user = await newUser(single);
    const first = await newSession(single, user.id);
    const second = await newSession(single, user.id);
    expect(second.revocation?.sessionIds).toEqual([first.session.id]);
    expect(await sessionStates(api, [first.session.id])).toEqual({ [first.session.id]: { state: "LOCKED", deleted: false } });
  });

  it("answers NOT_FOUND for a random id, another tenant's user and a deleted user", async () => {
    const ids = await userIdsNotInTenant(admin, other);
    for (const userId of Object.values(ids)) {
      expect(await failureOf(admin.sessions.create.mutate({ userId }))).toEqual({ code: "NOT_FOUND", field: null });
    }
  });

  it("answers BAD_REQUEST naming the field for a malformed userId, provider or ttlSeconds", async () => {
    const user = await newUser(admin);
    expect(await failureOf(admin.sessions.create.mutate({ userId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
    expect(await failureOf(admin.sessions.create.mutate({ userId: user.id, provider: "Not A Provider" }))).toEqual({ code: "BAD_REQUEST", field: "provider" });
    expect(await failureOf(admin.sessions.create.mutate({ userId: user.id, ttlSeconds: 1 }))).toEqual({ code: "BAD_REQUEST", field: "ttlSeconds" });
  });

  it("records session.created", async () => {
    const { user, session } = await userWithSession();
    const { objects } = await admin.events.list.query({ sessionId: session.id });
    expect(objects).toEqual([expect.objectContaining({ type: "session.created", userId: user.id, data: { provider: "admin" } })]);
  });
});

describe("sessions.list", () => {
  it("lists only active sessions by default", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const expired = (await newSession(admin, user.id)).session.id;
    await expire(expired);
    expect((await admin.sessions.list.query({ userId: user.id })).map((s) => s.id)).toEqual([ids.enrolled]);
  });

  it("adds signed-out and expired sessions with includeInactive, never deleted ones", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const expired = (await newSession(admin, user.id)).session.id;
    await expire(expired);
    const listed = await admin.sessions.list.query({ userId: user.id, includeInactive: true });
    expect(listed.map((s) => s.id).sort()).toEqual([ids.enrolled, ids.locked, ids.reset, expired].sort());
  });

  it("lists newest first", async () => {
    const user = await newUser(admin);
    const first = await newSession(admin, user.id);
    const second = await newSession(admin, user.id);
    expect((await admin.sessions.list.query({ userId: user.id })).map((s) => s.id)).toEqual([second.session.id, first.session.id]);
  });

  it("answers NOT_FOUND for a random id, another tenant's user and a deleted user, with or without includeInactive", async () => {
    const ids = await userIdsNotInTenant(admin, other);
    for (const userId of Object.values(ids)) {
      expect(await failureOf(admin.sessions.list.query({ userId }))).toEqual({ code: "NOT_FOUND", field: null });
      expect(await failureOf(admin.sessions.list.query({ userId, includeInactive: true }))).toEqual({ code: "NOT_FOUND", field: null });
    }
  });

  it("answers an empty list for a user without sessions, and for one whose sessions are all inactive", async () => {
    const fresh = await newUser(admin);
    expect(await admin.sessions.list.query({ userId: fresh.id })).toEqual([]);
    expect(await admin.sessions.list.query({ userId: fresh.id, includeInactive: true })).toEqual([]);
    const { user, session } = await userWithSession();
    await expire(session.id);
    expect(await admin.sessions.list.query({ userId: user.id })).toEqual([]);
    expect((await admin.sessions.list.query({ userId: user.id, includeInactive: true })).map((s) => s.id)).toEqual([session.id]);
  });

  it("answers BAD_REQUEST naming userId for a malformed id", async () => {
    expect(await failureOf(admin.sessions.list.query({ userId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });
});

describe("sessions.get", () => {
  it("finds a session by id, with its provider tokens for the admin", async () => {
    const { user, session } = await userWithSession();
    const got = await admin.sessions.get.query({ userId: user.id, sessionId: session.id });
    expect(got).toMatchObject({ id: session.id, state: "ENROLLED", providerTokens: { accessToken: null, refreshToken: null, expiresAt: null } });
  });

  it("finds a session by one of its access tokens", async () => {
    const { user, session, accessToken } = await userWithSession();
    expect((await admin.sessions.get.query({ userId: user.id, token: accessToken })).id).toBe(session.id);
  });

  it("finds a session by one of its refresh tokens", async () => {
    const { user, session, refreshToken } = await userWithSession();
    expect((await admin.sessions.get.query({ userId: user.id, token: refreshToken })).id).toBe(session.id);
  });

  it("finds LOCKED and RESET sessions", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    expect((await admin.sessions.get.query({ userId: user.id, sessionId: ids.locked })).state).toBe("LOCKED");
    expect((await admin.sessions.get.query({ userId: user.id, sessionId: ids.reset })).state).toBe("RESET");
  });

  it("answers NOT_FOUND for a random id, a deleted session, and another user's session", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const { session: someoneElses } = await userWithSession();
    for (const sessionId of [randomId(), ids.deleted, someoneElses.id]) {
      expect(await failureOf(admin.sessions.get.query({ userId: user.id, sessionId }))).toEqual({ code: "NOT_FOUND", field: null });
    }
  });

  it("answers NOT_FOUND for another tenant's session, by id or by token", async () => {
    const foreign = await userWithSession(other);
    for (const ref of [{ sessionId: foreign.session.id }, { token: foreign.accessToken }, { token: foreign.refreshToken }]) {
      expect(await failureOf(admin.sessions.get.query({ userId: foreign.user.id, ...ref }))).toEqual({ code: "NOT_FOUND", field: null });
    }
  });

  it("answers NOT_FOUND for a token of another user's session, or no token at all", async () => {
    const user = await newUser(admin);
    const someoneElses = await userWithSession();
    for (const token of [someoneElses.accessToken, someoneElses.refreshToken, "rt_not-a-token", "garbage"]) {
      expect(await failureOf(admin.sessions.get.query({ userId: user.id, token }))).toEqual({ code: "NOT_FOUND", field: null });
    }
  });

  it("answers BAD_REQUEST naming sessionId for a malformed id, or for neither or both of sessionId and token", async () => {
    const { user, session, accessToken } = await userWithSession();
    expect(await failureOf(admin.sessions.get.query({ userId: user.id, sessionId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "sessionId" });
    expect(await failureOf(admin.sessions.get.query({ userId: user.id } as never))).toEqual({ code: "BAD_REQUEST", field: "sessionId" });
    expect(await failureOf(admin.sessions.get.query({ userId: user.id, sessionId: session.id, token: accessToken } as never))).toEqual({
      code: "BAD_REQUEST",
      field: "sessionId",
    });
  });
});

describe("sessions.delete", () => {
  it("deletes the session and returns it with a receipt", async () => {
    const { user, session } = await userWithSession();
    const { session: deleted, revocation } = await admin.sessions.delete.mutate({ userId: user.id, sessionId: session.id });
    expect(deleted).toMatchObject({ id: session.id, deletedAt: expect.any(String), signedOutAt: expect.any(String) });
    expect(revocation).toEqual(receiptShape([session.id]));
    expect(await failureOf(admin.sessions.get.query({ userId: user.id, sessionId: session.id }))).toEqual({ code: "NOT_FOUND", field: null });
  });

  it("writes the tombstone to the cache before it returns", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.delete.mutate({ userId: user.id, sessionId: session.id });
    expect(await api.deps.cache.get(session.id)).toMatchObject({ kind: "revoked", reason: "session_revoked" });
  });

  it("deletes by access token and by refresh token", async () => {
    const a = await userWithSession();
    const b = await userWithSession();
    expect((await admin.sessions.delete.mutate({ userId: a.user.id, token: a.accessToken })).revocation.sessionIds).toEqual([a.session.id]);
    expect((await admin.sessions.delete.mutate({ userId: b.user.id, token: b.refreshToken })).revocation.sessionIds).toEqual([b.session.id]);
  });

  it("deletes a signed-out session too", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    expect((await admin.sessions.delete.mutate({ userId: user.id, sessionId: ids.reset })).revocation.sessionIds).toEqual([ids.reset]);
  });

  it("answers NOT_FOUND for a deleted session and another tenant's session", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const foreign = await userWithSession(other);
    expect(await failureOf(admin.sessions.delete.mutate({ userId: user.id, sessionId: ids.deleted }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await failureOf(admin.sessions.delete.mutate({ userId: foreign.user.id, sessionId: foreign.session.id }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await sessionStates(api, [foreign.session.id])).toEqual({ [foreign.session.id]: { state: "ENROLLED", deleted: false } });
  });

  it("answers BAD_REQUEST naming userId for a malformed user id", async () => {
    expect(await failureOf(admin.sessions.delete.mutate({ userId: "x", sessionId: randomId() }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });

  it("records session.deleted", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.delete.mutate({ userId: user.id, sessionId: session.id });
    const [event] = (await admin.events.list.query({ sessionId: session.id })).objects;
    expect(event).toMatchObject({ type: "session.deleted", data: { cause: "session_deleted" } });
  });
});

describe("sessions.deleteAll", () => {
  it("deletes every live session of the user, whatever its state", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const { revocation } = await admin.sessions.deleteAll.mutate({ userId: user.id });
    expect(revocation.sessionIds.sort()).toEqual([ids.enrolled, ids.locked, ids.reset].sort());
    expect(revocation).toEqual(receiptShape([]));
    expect(await admin.sessions.list.query({ userId: user.id, includeInactive: true })).toEqual([]);
  });

  it("keeps exceptSessionId", async () => {
    const user = await newUser(admin);
    const keep = await newSession(admin, user.id);
    const drop = await newSession(admin, user.id);
    const { revocation } = await admin.sessions.deleteAll.mutate({ userId: user.id, exceptSessionId: keep.session.id });
    expect(revocation.sessionIds).toEqual([drop.session.id]);
    expect((await admin.sessions.list.query({ userId: user.id })).map((s) => s.id)).toEqual([keep.session.id]);
  });

  it("answers NOT_FOUND, deleting nothing, when exceptSessionId is not one of the user's sessions", async () => {
    const { user, session } = await userWithSession();
    expect(await failureOf(admin.sessions.deleteAll.mutate({ userId: user.id, exceptSessionId: randomId() }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await sessionStates(api, [session.id])).toEqual({ [session.id]: { state: "ENROLLED", deleted: false } });
  });

  it("answers NOT_FOUND for another tenant's user", async () => {
    const foreign = await userWithSession(other);
    expect(await failureOf(admin.sessions.deleteAll.mutate({ userId: foreign.user.id }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await sessionStates(api, [foreign.session.id])).toEqual({ [foreign.session.id]: { state: "ENROLLED", deleted: false } });
  });

  it("answers BAD_REQUEST naming exceptSessionId for a malformed id", async () => {
    const user = await newUser(admin);
    expect(await failureOf(admin.sessions.deleteAll.mutate({ userId: user.id, exceptSessionId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "exceptSessionId" });
  });
});

describe("sessions.wipe", () => {
  it("puts an ENROLLED session in RESET with a receipt", async () => {
    const { user, session } = await userWithSession();
    const { session: wiped, revocation } = await admin.sessions.wipe.mutate({ userId: user.id, sessionId: session.id });
    expect(wiped).toMatchObject({ id: session.id, state: "RESET", signedOutAt: expect.any(String) });
    expect(revocation).toEqual(receiptShape([session.id]));
  });

  it("puts a LOCKED session in RESET", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    expect((await admin.sessions.wipe.mutate({ userId: user.id, sessionId: ids.locked })).session.state).toBe("RESET");
  });

  it("leaves a RESET session as it is, with an empty receipt", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const { session, revocation } = await admin.sessions.wipe.mutate({ userId: user.id, sessionId: ids.reset });
    expect(session.state).toBe("RESET");
    expect(revocation.sessionIds).toEqual([]);
  });

  it("answers NOT_FOUND for a deleted session and another tenant's session", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const foreign = await userWithSession(other);
    expect(await failureOf(admin.sessions.wipe.mutate({ userId: user.id, sessionId: ids.deleted }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await failureOf(admin.sessions.wipe.mutate({ userId: foreign.user.id, sessionId: foreign.session.id }))).toEqual({ code: "NOT_FOUND", field: null });
  });

  it("answers BAD_REQUEST naming sessionId for a malformed id", async () => {
    const user = await newUser(admin);
    expect(await failureOf(admin.sessions.wipe.mutate({ userId: user.id, sessionId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "sessionId" });
  });

  it("records session.reset with cause wipe", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.wipe.mutate({ userId: user.id, sessionId: session.id });
    const [event] = (await admin.events.list.query({ sessionId: session.id })).objects;
    expect(event).toMatchObject({ type: "session.reset", data: { cause: "wipe", state: "RESET" } });
  });
});

describe("sessions.reauthenticate", () => {
  it("puts an ENROLLED session in LOCKED, without a wipe", async () => {
    const { user, session } = await userWithSession();
    const { session: locked, revocation } = await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: session.id });
    expect(locked.state).toBe("LOCKED");
    expect(revocation).toEqual(receiptShape([session.id]));
    expect(await api.deps.cache.get(session.id)).toMatchObject({ kind: "revoked" });
  });

  it("leaves a RESET session RESET", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const { session, revocation } = await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: ids.reset });
    expect(session.state).toBe("RESET");
    expect(revocation.sessionIds).toEqual([]);
  });

  it("answers NOT_FOUND for another tenant's session", async () => {
    const foreign = await userWithSession(other);
    expect(await failureOf(admin.sessions.reauthenticate.mutate({ userId: foreign.user.id, sessionId: foreign.session.id }))).toEqual({ code: "NOT_FOUND", field: null });
  });

  it("answers BAD_REQUEST naming userId for a malformed id", async () => {
    expect(await failureOf(admin.sessions.reauthenticate.mutate({ userId: "x", sessionId: randomId() }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });

  it("records session.locked with cause reauthenticate", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: session.id });
    const [event] = (await admin.events.list.query({ sessionId: session.id })).objects;
    expect(event).toMatchObject({ type: "session.locked", data: { cause: "reauthenticate", state: "LOCKED" } });
  });
});

describe("sessions.addAccessGroups / sessions.removeAccessGroups", () => {
  it("adds one group given as a string to every active session", async () => {
    const user = await newUser(admin, { groups: ["base"] });
    const a = await newSession(admin, user.id);
    const b = await newSession(admin, user.id);
    const { sessions, revocation } = await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "extra" });
    expect(sessions.map((s) => s.accessGroups)).toEqual([["base", "extra"], ["base", "extra"]]);
    expect(revocation.sessionIds.sort()).toEqual([a.session.id, b.session.id].sort());
  });

  it("adds several groups given as an array", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: ["x", "y"] });
    expect((await admin.sessions.get.query({ userId: user.id, sessionId: session.id })).accessGroups).toEqual(["base", "x", "y"]);
  });

  it("touches only active sessions: not LOCKED, RESET, deleted or expired ones", async () => {
    const user = await newUser(admin, { groups: ["base"] });
    const ids = await sessionsInEveryState(admin, user.id);
    const expired = (await newSession(admin, user.id)).session.id;
    await expire(expired);
    const { revocation } = await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "extra" });
    expect(revocation.sessionIds).toEqual([ids.enrolled]);
    const rows = await api.deps.db.execute<{ id: string; access_groups: string[] }>(
      sql`select id, access_groups from sessions where user_id = ${user.id} and id <> ${ids.enrolled}`,
    );
    expect(rows.every((r) => r.access_groups.join() === "base")).toBe(true);
  });

  it("updates the cached groups the edge reads before it returns", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "extra" });
    expect(await api.deps.cache.get(session.id)).toMatchObject({ kind: "active", groups: ["base", "extra"] });
  });

  it("removes groups", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.removeAccessGroups.mutate({ userId: user.id, groups: "base" });
    expect((await admin.sessions.get.query({ userId: user.id, sessionId: session.id })).accessGroups).toEqual([]);
  });

  it("leaves the user's default groups alone", async () => {
    const { user } = await userWithSession();
    await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "extra" });
    expect((await admin.users.get.query({ userId: user.id })).groups).toEqual(["base"]);
  });

  it("answers NOT_FOUND for another tenant's user, changing nothing", async () => {
    const foreign = await userWithSession(other);
    expect(await failureOf(admin.sessions.addAccessGroups.mutate({ userId: foreign.user.id, groups: "x" }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await failureOf(admin.sessions.removeAccessGroups.mutate({ userId: foreign.user.id, groups: "base" }))).toEqual({ code: "NOT_FOUND", field: null });
    expect((await other.sessions.get.query({ userId: foreign.user.id, sessionId: foreign.session.id })).accessGroups).toEqual(["base"]);
  });

  it("answers BAD_REQUEST naming groups for an invalid group", async () => {
    const user = await newUser(admin);
    expect(await failureOf(admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "a b" }))).toEqual({ code: "BAD_REQUEST", field: "groups" });
  });

  it("records session.groups_changed", async () => {
    const { user, session } = await userWithSession();
    await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "extra" });
    const [event] = (await admin.events.list.query({ sessionId: session.id })).objects;
    expect(event).toMatchObject({ type: "session.groups_changed", data: { add: ["extra"], accessGroups: ["base", "extra"] } });
  });
});
