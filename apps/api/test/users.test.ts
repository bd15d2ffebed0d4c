import { errorCode } from "@sesame/client";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { failureOf, newSession, newUser, randomId, receiptShape, sessionsInEveryState, sessionStates, uniqueUsername, type AdminClient, startWithTwoTenants, userIdsNotInTenant } from "./admin-fixtures.ts";
import { createTenantWithAdmin, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
/** Another tenant: its ids must look exactly like random ones to `admin`. */
let other: AdminClient;
beforeAll(async () => {
  ({ api, admin, other } = await startWithTwoTenants());
});
afterAll(async () => api?.stop());

const storedUser = async (id: string) => (await api.deps.db.select().from(users).where(eq(users.id, id)))[0]!;
const eventTypes = async (client: AdminClient, userId: string) => (await client.events.list.query({ userId })).objects.map((e) => e.type);

describe("users.create", () => {
  it("creates a pendingJoin user with every field and no password", async () => {
    const username = uniqueUsername();
    const user = await admin.users.create.mutate({
      username,
      email: "Jane.Doe@Example.TEST",
      firstName: "Jane",
      lastName: "Doe",
      profile: { title: "Engineer" },
      groups: ["sales", "ops"],
      config: { theme: "dark" },
    });
    expect(user).toMatchObject({
      username,
      email: "jane.doe@example.test",
      firstName: "Jane",
      lastName: "Doe",
      status: "pendingJoin",
      locked: false,
      lockedAt: null,
      profile: { title: "Engineer" },
      groups: ["sales", "ops"],
      config: { theme: "dark" },
      deletedAt: null,
      enrolled: false,
      lastConnectedAt: null,
    });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("stores the password as an argon2id hash, never returns it, and makes the user active", async () => {
    const user = await newUser(admin, { password: "correct horse battery" });
    expect(user.status).toBe("active");
    expect(JSON.stringify(user)).not.toMatch(/password|argon2/i);
    const row = await storedUser(user.id);
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$/);
    expect(row.passwordHash).not.toContain("correct horse");
  });

  it("keeps an explicit status over the default", async () => {
    const user = await newUser(admin, { password: "correct horse battery", status: "pendingJoin" });
    expect(user.status).toBe("pendingJoin");
  });

  it("answers CONFLICT naming username for a duplicate username in another case", async () => {
    const username = uniqueUsername("Case");
    await newUser(admin, { username });
    expect(await failureOf(newUser(admin, { username: username.toUpperCase() }))).toEqual({ code: "CONFLICT", field: "username" });
  });

  it("answers CONFLICT naming email for a duplicate email in another case", async () => {
    const email = `${uniqueUsername()}@example.test`;
    await newUser(admin, { email });
    expect(await failureOf(newUser(admin, { email: email.toUpperCase() }))).toEqual({ code: "CONFLICT", field: "email" });
  });

  it("allows the same username and email in another tenant", async () => {
    const username = uniqueUsername();
    const email = `${username}@example.test`;
    await newUser(admin, { username, email });
    await expect(newUser(other, { username, email })).resolves.toMatchObject({ username, email });
  });

  it("frees a deleted user's username and email", async () => {
    const username = uniqueUsername();
    const email = `${username}@example.test`;
    const first = await newUser(admin, { username, email });
    await admin.users.delete.mutate({ userId: first.id });
    const second = await newUser(admin, { username, email });
    expect(second.id).not.toBe(first.id);
  });

  it("answers BAD_REQUEST naming email for a malformed email", async () => {
    expect(await failureOf(newUser(admin, { email: "not-an-email" }))).toEqual({ code: "BAD_REQUEST", field: "email" });
  });

  it("answers BAD_REQUEST naming username for an empty or spaced username", async () => {
    expect(await failureOf(admin.users.create.mutate({ username: "  " }))).toEqual({ code: "BAD_REQUEST", field: "username" });
    expect(await failureOf(admin.users.create.mutate({ username: "two words" }))).toEqual({ code: "BAD_REQUEST", field: "username" });
  });

  it("answers BAD_REQUEST naming password for a short password", async () => {
    expect(await failureOf(newUser(admin, { password: "short" }))).toEqual({ code: "BAD_REQUEST", field: "password" });
  });

  it("answers BAD_REQUEST naming an unknown field", async () => {
    const input = { username: uniqueUsername(), passwordHash: "x" } as unknown as Parameters<AdminClient["users"]["create"]["mutate"]>[0];
    expect(await failureOf(admin.users.create.mutate(input))).toEqual({ code: "BAD_REQUEST", field: "passwordHash" });
  });

  it("answers BAD_REQUEST naming groups for a malformed group", async () => {
    expect(await failureOf(newUser(admin, { groups: ["has space"] }))).toEqual({ code: "BAD_REQUEST", field: "groups.0" });
  });

  it("records a user.created event by the API key", async () => {
    const user = await newUser(admin);
    const { objects } = await admin.events.list.query({ userId: user.id });
    expect(objects).toEqual([expect.objectContaining({ type: "user.created", userId: user.id, actor: { kind: "admin", id: expect.any(String) } })]);
  });
});

describe("users.update", () => {
  it("changes the given fields and leaves the others", async () => {
    const user = await newUser(admin, { firstName: "Old", lastName: "Name", profile: { a: 1 } });
    const updated = await admin.users.update.mutate({ userId: user.id, firstName: "New", email: "New@Example.test", profile: { b: 2 } });
    expect(updated).toMatchObject({ firstName: "New", lastName: "Name", email: "new@example.test", profile: { b: 2 } });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(user.updatedAt));
  });

  it("clears a nullable field given null", async () => {
    const user = await newUser(admin, { email: `${uniqueUsername()}@example.test` });
    expect(await admin.users.update.mutate({ userId: user.id, email: null })).toMatchObject({ email: null });
  });

  it("activates a pendingJoin user given a password, and stores the new hash", async () => {
    const user = await newUser(admin);
    const updated = await admin.users.update.mutate({ userId: user.id, password: "a brand new secret" });
    expect(updated.status).toBe("active");
    expect((await storedUser(user.id)).passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("signs out every session of the user when an admin sets the password, with the receipt beside the user", async () => {
    const user = await newUser(admin, { password: "the old password" });
    const states = await sessionsInEveryState(admin, user.id);
    const second = await newSession(admin, user.id);
    const updated = await admin.users.update.mutate({ userId: user.id, password: "a brand new secret" });
    expect(updated).toMatchObject({ id: user.id, username: user.username, status: "active" });
    expect(updated.revocation).toEqual(receiptShape([states.enrolled, second.session.id]));
    expect(updated.revocation?.sessionIds).toHaveLength(2);
    expect(await sessionStates(api, [states.enrolled, second.session.id])).toEqual({
      [states.enrolled]: { state: "LOCKED", deleted: false },
      [second.session.id]: { state: "LOCKED", deleted: false },
    });
    await expect(api.anonymous().auth.refresh.mutate({ refreshToken: second.refreshToken })).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
    const [locked] = (await admin.events.list.query({ sessionId: second.session.id, type: "session.locked" })).objects;
    expect(locked).toMatchObject({ actor: { kind: "admin" }, data: { cause: "password_change" } });
  });

  it("leaves the sessions alone (and answers no receipt) for changes without a password", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    const updated = await admin.users.update.mutate({ userId: user.id, firstName: "Same", groups: ["x"] });
    expect(updated).not.toHaveProperty("revocation");
    expect(await sessionStates(api, [session.id])).toEqual({ [session.id]: { state: "ENROLLED", deleted: false } });
  });

  it("answers CONFLICT naming username when renaming onto another user in another case", async () => {
    const taken = await newUser(admin);
    const user = await newUser(admin);
    expect(await failureOf(admin.users.update.mutate({ userId: user.id, username: taken.username.toUpperCase() }))).toEqual({ code: "CONFLICT", field: "username" });
  });

  it("answers CONFLICT naming email when taking another user's email", async () => {
    const taken = await newUser(admin, { email: `${uniqueUsername()}@example.test` });
    const user = await newUser(admin);
    expect(await failureOf(admin.users.update.mutate({ userId: user.id, email: taken.email!.toUpperCase() }))).toEqual({ code: "CONFLICT", field: "email" });
  });

  it("answers NOT_FOUND for a random id and for another tenant's user", async () => {
    const foreign = await newUser(other);
    expect(await failureOf(admin.users.update.mutate({ userId: randomId(), firstName: "X" }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await failureOf(admin.users.update.mutate({ userId: foreign.id, firstName: "X" }))).toEqual({ code: "NOT_FOUND", field: null });
  });

  it("answers BAD_REQUEST naming userId for a malformed id", async () => {
    expect(await failureOf(admin.users.update.mutate({ userId: "nope", firstName: "X" }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });

  it("records user.updated with the changed field names, never the password", async () => {
    const user = await newUser(admin);
    await admin.users.update.mutate({ userId: user.id, firstName: "Z", password: "another good secret" });
    const [event] = (await admin.events.list.query({ userId: user.id, type: "user.updated" })).objects;
    expect(event?.data).toEqual({ fields: ["firstName", "password"] });
    expect(JSON.stringify(event)).not.toContain("another good secret");
  });
});

describe("users.get", () => {
  it("returns the user with its live sessions, enrolled and lastConnectedAt", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const connectedAt = new Date("2030-01-02T03:04:05.000Z");
    await api.deps.db.execute(sql`update sessions set last_connected_at = ${connectedAt.toISOString()}::timestamptz where id = ${ids.locked}`);
    const got = await admin.users.get.query({ userId: user.id });
    expect(got).toMatchObject({ id: user.id, enrolled: true, lastConnectedAt: connectedAt.toISOString() });
    expect(got.sessions.map((s) => s.id).sort()).toEqual([ids.enrolled, ids.locked, ids.reset].sort());
    expect(got.sessions.every((s) => !("providerTokens" in s))).toBe(true);
  });

  it("reports enrolled false when no session is ENROLLED", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: session.id });
    expect(await admin.users.get.query({ userId: user.id })).toMatchObject({ enrolled: false });
  });

  it("answers NOT_FOUND for a random id, another tenant's user and a deleted user", async () => {
    const ids = await userIdsNotInTenant(admin, other);
    for (const userId of Object.values(ids)) {
      expect(await failureOf(admin.users.get.query({ userId }))).toEqual({ code: "NOT_FOUND", field: null });
    }
  });

  it("answers BAD_REQUEST naming userId for a malformed id", async () => {
    expect(await failureOf(admin.users.get.query({ userId: "123" }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });
});

describe("users.list", () => {
  let lister: AdminClient;
  let made: Awaited<ReturnType<typeof newUser>>[];
  beforeAll(async () => {
    lister = (await createTenantWithAdmin(api)).admin;
    made = [];
    for (const [i, name] of ["Ann", "Bob", "Cid", "Dee", "Eve"].entries()) {
      made.push(await newUser(lister, { username: `${name.toLowerCase()}-${i}`, firstName: name, lastName: "Tester", email: `${name.toLowerCase()}@list.test` }));
    }
    await newSession(lister, made[1]!.id);
  });

  it("pages through the tenant's users oldest first with total, count and more", async () => {
    const first = await lister.users.list.query({ limit: 2 });
    expect(first).toMatchObject({ total: 5, count: 2, more: true });
    expect(first.objects.map((u) => u.id)).toEqual([made[0]!.id, made[1]!.id]);
    const last = await lister.users.list.query({ limit: 2, skip: 4 });
    expect(last).toMatchObject({ total: 5, count: 1, more: false });
    expect(last.objects[0]!.id).toBe(made[4]!.id);
  });

  it("derives enrolled for each user of the page", async () => {
    const { objects } = await lister.users.list.query();
    expect(objects.map((u) => u.enrolled)).toEqual([false, true, false, false, false]);
  });

  it("leaves out deleted users", async () => {
    const tenant = (await createTenantWithAdmin(api)).admin;
    const kept = await newUser(tenant);
    const gone = await newUser(tenant);
    await tenant.users.delete.mutate({ userId: gone.id });
    const listed = await tenant.users.list.query();
    expect(listed).toMatchObject({ total: 1, count: 1, more: false });
    expect(listed.objects.map((u) => u.id)).toEqual([kept.id]);
  });

  it("searches username, email and full name case-insensitively", async () => {
    expect((await lister.users.list.query({ query: "BOB" })).objects.map((u) => u.firstName)).toEqual(["Bob"]);
    expect((await lister.users.list.query({ query: "eve@list" })).objects.map((u) => u.firstName)).toEqual(["Eve"]);
    expect((await lister.users.list.query({ query: "cid tester" })).objects.map((u) => u.firstName)).toEqual(["Cid"]);
    expect(await lister.users.list.query({ query: "tester", limit: 1 })).toMatchObject({ total: 5, count: 1, more: true });
  });

  it("treats LIKE wildcards in the search literally", async () => {
    expect(await lister.users.list.query({ query: "%" })).toMatchObject({ total: 0, objects: [] });
    expect(await lister.users.list.query({ query: "_" })).toMatchObject({ total: 0 });
  });

  it("never lists another tenant's users", async () => {
    const { objects } = await lister.users.list.query({ limit: 1000 });
    expect(objects.every((u) => made.some((m) => m.id === u.id))).toBe(true);
  });

  it("answers BAD_REQUEST naming limit above 1000 and skip below 0", async () => {
    expect(await failureOf(lister.users.list.query({ limit: 1001 }))).toEqual({ code: "BAD_REQUEST", field: "limit" });
    expect(await failureOf(lister.users.list.query({ skip: -1 }))).toEqual({ code: "BAD_REQUEST", field: "skip" });
  });

  it("answers BAD_REQUEST naming locked or enrolled when they are not booleans", async () => {
    expect(await failureOf(lister.users.list.query({ locked: "yes" as never }))).toEqual({ code: "BAD_REQUEST", field: "locked" });
    expect(await failureOf(lister.users.list.query({ enrolled: 1 as never }))).toEqual({ code: "BAD_REQUEST", field: "enrolled" });
  });
});

describe("users.list filters", () => {
  let filtered: AdminClient;
  /** plain, enrolled, locked, wiped (RESET), expired session, deleted session, locked and searched. */
  let u: Record<"plain" | "enrolled" | "locked" | "wiped" | "expired" | "deletedSession" | "lockedZed", string>;
  const ids = async (input: Parameters<AdminClient["users"]["list"]["query"]>[0]) => {
    const page = await filtered.users.list.query(input);
    return { total: page.total, ids: page.objects.map((x) => x.id) };
  };
  beforeAll(async () => {
    filtered = (await createTenantWithAdmin(api)).admin;
    const make = async (name: string) => (await newUser(filtered, { username: `${name}-${randomId().slice(0, 6)}` })).id;
    u = {
      plain: await make("plain"),
      enrolled: await make("enrolled"),
      locked: await make("locked"),
      wiped: await make("wiped"),
      expired: await make("expired"),
      deletedSession: await make("deleted"),
      lockedZed: await make("zed"),
    };
    await newSession(filtered, u.enrolled);
    await newSession(filtered, u.locked);
    await filtered.users.lock.mutate({ userId: u.locked, wipe: false });
    await filtered.users.lock.mutate({ userId: u.lockedZed, wipe: true });
    const wiped = await newSession(filtered, u.wiped);
    await filtered.sessions.wipe.mutate({ userId: u.wiped, sessionId: wiped.session.id });
    const expired = await newSession(filtered, u.expired);
    await api.deps.db.execute(sql`update sessions set expires_at = now() - interval '1 minute' where id = ${expired.session.id}`);
    const deleted = await newSession(filtered, u.deletedSession);
    await filtered.sessions.delete.mutate({ userId: u.deletedSession, sessionId: deleted.session.id });
  });

  it("locked: true lists only locked users, with the filtered total", async () => {
    expect(await ids({ locked: true })).toEqual({ total: 2, ids: [u.locked, u.lockedZed] });
  });

  it("locked: false lists only users who are not locked", async () => {
    expect(await ids({ locked: false })).toEqual({ total: 5, ids: [u.plain, u.enrolled, u.wiped, u.expired, u.deletedSession] });
  });

  it("enrolled: true lists only users with an ENROLLED, unexpired, undeleted session", async () => {
    expect(await ids({ enrolled: true })).toEqual({ total: 1, ids: [u.enrolled] });
  });

  it("enrolled: false lists users whose sessions are all signed out, expired or deleted, or who have none", async () => {
    expect(await ids({ enrolled: false })).toEqual({ total: 6, ids: [u.plain, u.locked, u.wiped, u.expired, u.deletedSession, u.lockedZed] });
  });

  it("agrees with each user's derived enrolled field", async () => {
    const all = await filtered.users.list.query({ limit: 1000 });
    const enrolled = await filtered.users.list.query({ enrolled: true, limit: 1000 });
    expect(enrolled.objects.map((x) => x.id)).toEqual(all.objects.filter((x) => x.enrolled).map((x) => x.id));
  });

  it("combines filters with the search and pages within the filtered set", async () => {
    expect(await ids({ locked: true, query: "zed" })).toEqual({ total: 1, ids: [u.lockedZed] });
    expect(await ids({ locked: false, enrolled: false, limit: 2, skip: 1 })).toEqual({ total: 4, ids: [u.wiped, u.expired] });
    const page = await filtered.users.list.query({ locked: false, enrolled: false, limit: 2, skip: 2 });
    expect(page).toMatchObject({ total: 4, count: 2, more: false });
  });
});

describe("users.delete", () => {
  it("soft-deletes the user and puts every live session in RESET, with a receipt", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const { user: deleted, revocation } = await admin.users.delete.mutate({ userId: user.id });
    expect(deleted).toMatchObject({ id: user.id, deletedAt: expect.any(String), enrolled: false });
    expect(revocation).toEqual(receiptShape([ids.enrolled, ids.locked]));
    expect(revocation.sessionIds).toHaveLength(2);
    expect(await sessionStates(api, Object.values(ids))).toEqual({
      [ids.enrolled]: { state: "RESET", deleted: false },
      [ids.locked]: { state: "RESET", deleted: false },
      [ids.reset]: { state: "RESET", deleted: false },
      [ids.deleted]: { state: "ENROLLED", deleted: true },
    });
    expect((await storedUser(user.id)).deletedAt).not.toBeNull();
  });

  it("revokes the sessions in the cache before it returns, telling the devices to wipe", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    await admin.users.delete.mutate({ userId: user.id });
    expect(await api.deps.cache.get(session.id)).toMatchObject({ kind: "revoked", reason: "session_reset" });
  });

  it("answers NOT_FOUND for a random id, another tenant's user and an already deleted user", async () => {
    const ids = await userIdsNotInTenant(admin, other);
    for (const userId of Object.values(ids)) {
      expect(await failureOf(admin.users.delete.mutate({ userId }))).toEqual({ code: "NOT_FOUND", field: null });
    }
    expect((await storedUser(ids.foreign)).deletedAt).toBeNull();
  });

  it("answers BAD_REQUEST naming userId for a malformed id", async () => {
    expect(await failureOf(admin.users.delete.mutate({ userId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });

  it("records user.deleted and a session.reset per signed-out session", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    await admin.users.delete.mutate({ userId: user.id });
    const { objects } = await admin.events.list.query({ userId: user.id });
    expect(objects.map((e) => e.type)).toEqual(["session.reset", "user.deleted", "session.created", "user.created"]);
    expect(objects[0]).toMatchObject({ sessionId: session.id, data: { cause: "user_deleted", state: "RESET" } });
  });
});

describe("users.lock", () => {
  it("requires wipe, naming it", async () => {
    const user = await newUser(admin);
    const input = { userId: user.id } as Parameters<AdminClient["users"]["lock"]["mutate"]>[0];
    expect(await failureOf(admin.users.lock.mutate(input))).toEqual({ code: "BAD_REQUEST", field: "wipe" });
  });

  it("without wipe: ENROLLED → LOCKED; LOCKED, RESET and deleted sessions untouched", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const { user: locked, revocation } = await admin.users.lock.mutate({ userId: user.id, wipe: false });
    expect(locked).toMatchObject({ locked: true, lockedAt: expect.any(String), enrolled: false });
    expect(revocation).toEqual(receiptShape([ids.enrolled]));
    expect(revocation.sessionIds).toEqual([ids.enrolled]);
    expect(await sessionStates(api, Object.values(ids))).toEqual({
      [ids.enrolled]: { state: "LOCKED", deleted: false },
      [ids.locked]: { state: "LOCKED", deleted: false },
      [ids.reset]: { state: "RESET", deleted: false },
      [ids.deleted]: { state: "ENROLLED", deleted: true },
    });
  });

  it("with wipe: ENROLLED and LOCKED → RESET; RESET and deleted sessions untouched", async () => {
    const user = await newUser(admin);
    const ids = await sessionsInEveryState(admin, user.id);
    const { revocation } = await admin.users.lock.mutate({ userId: user.id, wipe: true });
    expect(revocation.sessionIds.sort()).toEqual([ids.enrolled, ids.locked].sort());
    expect(await sessionStates(api, Object.values(ids))).toEqual({
      [ids.enrolled]: { state: "RESET", deleted: false },
      [ids.locked]: { state: "RESET", deleted: false },
      [ids.reset]: { state: "RESET", deleted: false },
      [ids.deleted]: { state: "ENROLLED", deleted: true },
    });
  });

  it("writes the tombstones to the cache before it returns", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    const { revocation } = await admin.users.lock.mutate({ userId: user.id, wipe: false });
    expect(revocation.effectiveAt).not.toBeNull();
    expect(await api.deps.cache.get(session.id)).toMatchObject({ kind: "revoked" });
  });

  it("keeps the first lockedAt when locked again", async () => {
    const user = await newUser(admin);
    const first = await admin.users.lock.mutate({ userId: user.id, wipe: false });
    const again = await admin.users.lock.mutate({ userId: user.id, wipe: true });
    expect(again.user.lockedAt).toBe(first.user.lockedAt);
  });

  it("stops new sessions from being started for the user (FORBIDDEN)", async () => {
    const user = await newUser(admin);
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    expect(await failureOf(newSession(admin, user.id))).toEqual({ code: "FORBIDDEN", field: null });
  });

  it("answers NOT_FOUND for a random id and another tenant's user, leaving it unlocked", async () => {
    const foreign = await newUser(other);
    expect(await failureOf(admin.users.lock.mutate({ userId: randomId(), wipe: true }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await failureOf(admin.users.lock.mutate({ userId: foreign.id, wipe: true }))).toEqual({ code: "NOT_FOUND", field: null });
    expect((await storedUser(foreign.id)).locked).toBe(false);
  });

  it("answers BAD_REQUEST naming userId for a malformed id", async () => {
    expect(await failureOf(admin.users.lock.mutate({ userId: "x", wipe: true }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });

  it("records user.locked with the wipe flag", async () => {
    const user = await newUser(admin);
    await admin.users.lock.mutate({ userId: user.id, wipe: true });
    const [event] = (await admin.events.list.query({ userId: user.id, type: "user.locked" })).objects;
    expect(event).toMatchObject({ data: { wipe: true }, actor: { kind: "admin" } });
  });
});

describe("users.unlock", () => {
  it("clears locked and lockedAt", async () => {
    const user = await newUser(admin);
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    expect(await admin.users.unlock.mutate({ userId: user.id })).toMatchObject({ locked: false, lockedAt: null });
  });

  it("leaves the sessions signed out by the lock signed out", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    await admin.users.unlock.mutate({ userId: user.id });
    expect(await sessionStates(api, [session.id])).toEqual({ [session.id]: { state: "LOCKED", deleted: false } });
    expect(await admin.users.get.query({ userId: user.id })).toMatchObject({ enrolled: false });
  });

  it("lets new sessions start again", async () => {
    const user = await newUser(admin);
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    await admin.users.unlock.mutate({ userId: user.id });
    await expect(newSession(admin, user.id)).resolves.toMatchObject({ session: { state: "ENROLLED" } });
  });

  it("answers NOT_FOUND for another tenant's user", async () => {
    const foreign = await newUser(other);
    expect(await failureOf(admin.users.unlock.mutate({ userId: foreign.id }))).toEqual({ code: "NOT_FOUND", field: null });
  });

  it("records user.unlocked", async () => {
    const user = await newUser(admin);
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    await admin.users.unlock.mutate({ userId: user.id });
    expect(await eventTypes(admin, user.id)).toContain("user.unlocked");
  });
});

describe("users.addToGroups / users.removeFromGroups", () => {
  it("adds one group given as a string, or several as an array, without duplicates", async () => {
    const user = await newUser(admin, { groups: ["a"] });
    expect((await admin.users.addToGroups.mutate({ userId: user.id, groups: "b" })).groups).toEqual(["a", "b"]);
    expect((await admin.users.addToGroups.mutate({ userId: user.id, groups: ["b", "c"] })).groups).toEqual(["a", "b", "c"]);
  });

  it("removes groups", async () => {
    const user = await newUser(admin, { groups: ["a", "b", "c"] });
    expect((await admin.users.removeFromGroups.mutate({ userId: user.id, groups: ["a", "c"] })).groups).toEqual(["b"]);
  });

  it("changes only the user's default groups, not its sessions' access groups", async () => {
    const user = await newUser(admin, { groups: ["a"] });
    const { session } = await newSession(admin, user.id);
    await admin.users.addToGroups.mutate({ userId: user.id, groups: "b" });
    expect((await admin.sessions.get.query({ userId: user.id, sessionId: session.id })).accessGroups).toEqual(["a"]);
    expect((await newSession(admin, user.id)).session.accessGroups).toEqual(["a", "b"]);
  });

  it("answers BAD_REQUEST naming groups for an invalid group name", async () => {
    const user = await newUser(admin);
    expect(await failureOf(admin.users.addToGroups.mutate({ userId: user.id, groups: "has,comma" }))).toEqual({ code: "BAD_REQUEST", field: "groups" });
    expect(await failureOf(admin.users.addToGroups.mutate({ userId: user.id, groups: [] }))).toEqual({ code: "BAD_REQUEST", field: "groups" });
  });

  it("answers NOT_FOUND for another tenant's user", async () => {
    const foreign = await newUser(other);
    expect(await failureOf(admin.users.addToGroups.mutate({ userId: foreign.id, groups: "x" }))).toEqual({ code: "NOT_FOUND", field: null });
    expect(await failureOf(admin.users.removeFromGroups.mutate({ userId: foreign.id, groups: "x" }))).toEqual({ code: "NOT_FOUND", field: null });
  });

  it("records user.groups_changed", async () => {
    const user = await newUser(admin);
    await admin.users.addToGroups.mutate({ userId: user.id, groups: "x" });
    const [event] = (await admin.events.list.query({ userId: user.id, type: "user.groups_changed" })).objects;
    expect(event?.data).toEqual({ add: ["x"], remove: [], groups: ["x"] });
  });
});
