import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureOf, newSession, newUser, randomId, type AdminClient } from "./admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
let apiKeyId: string;
let other: AdminClient;
beforeAll(async () => {
  api = await startApi();
  const created = await createTenantWithAdmin(api);
  admin = created.admin;
  apiKeyId = created.apiKey.id;
  other = (await createTenantWithAdmin(api)).admin;
});
afterAll(async () => api?.stop());

describe("events.list", () => {
  it("lists the tenant's events newest first, each with who did it and when", async () => {
    const { admin: fresh, apiKey } = await createTenantWithAdmin(api);
    const user = await newUser(fresh);
    const { objects, nextCursor } = await fresh.events.list.query();
    expect(objects.map((e) => e.type)).toEqual(["user.created", "api_key.created", "tenant.created"]);
    expect(objects[0]).toMatchObject({ userId: user.id, actor: { kind: "admin", id: apiKey.id }, createdAt: expect.stringMatching(/^\d{4}-/) });
    expect(objects[2]!.actor).toEqual({ kind: "root", id: null });
    expect(nextCursor).toBeNull();
  });

  it("pages with the cursor until nextCursor is null, without gaps or repeats", async () => {
    const user = await newUser(admin);
    for (let i = 0; i < 6; i++) await admin.users.update.mutate({ userId: user.id, firstName: `n${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin.events.list.query({ userId: user.id, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.objects.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  it("filters by user, session and type", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    await admin.sessions.wipe.mutate({ userId: user.id, sessionId: session.id });
    expect((await admin.events.list.query({ userId: user.id })).objects.map((e) => e.type)).toEqual(["session.reset", "session.created", "user.created"]);
    expect((await admin.events.list.query({ sessionId: session.id })).objects.map((e) => e.type)).toEqual(["session.reset", "session.created"]);
    const typed = await admin.events.list.query({ userId: user.id, type: "session.reset" });
    expect(typed.objects).toEqual([expect.objectContaining({ type: "session.reset", sessionId: session.id, actor: { kind: "admin", id: apiKeyId } })]);
  });

  it("never shows another tenant's events, even filtered by its ids", async () => {
    const foreign = await newUser(other);
    expect((await admin.events.list.query({ userId: foreign.id })).objects).toEqual([]);
    const { objects } = await admin.events.list.query({ limit: 1000 });
    expect(objects.some((e) => e.userId === foreign.id)).toBe(false);
  });

  it("answers an empty page for a random user id", async () => {
    expect(await admin.events.list.query({ userId: randomId() })).toEqual({ objects: [], nextCursor: null });
  });

  it("answers BAD_REQUEST naming the field for a malformed cursor, id or limit", async () => {
    expect(await failureOf(admin.events.list.query({ cursor: "abc" }))).toEqual({ code: "BAD_REQUEST", field: "cursor" });
    expect(await failureOf(admin.events.list.query({ userId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
    expect(await failureOf(admin.events.list.query({ sessionId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "sessionId" });
    expect(await failureOf(admin.events.list.query({ limit: 0 }))).toEqual({ code: "BAD_REQUEST", field: "limit" });
    expect(await failureOf(admin.events.list.query({ limit: 1001 }))).toEqual({ code: "BAD_REQUEST", field: "limit" });
  });

  it("has an event for every change an admin makes", async () => {
    const user = await newUser(admin);
    const { session } = await newSession(admin, user.id);
    await newSession(admin, user.id);
    await admin.users.update.mutate({ userId: user.id, lastName: "L" });
    await admin.users.addToGroups.mutate({ userId: user.id, groups: "g" });
    await admin.users.removeFromGroups.mutate({ userId: user.id, groups: "g" });
    await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "x" });
    await admin.sessions.removeAccessGroups.mutate({ userId: user.id, groups: "x" });
    await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: session.id });
    await admin.sessions.wipe.mutate({ userId: user.id, sessionId: session.id });
    await admin.sessions.delete.mutate({ userId: user.id, sessionId: session.id });
    await admin.enrollment.createToken.mutate({ userId: user.id });
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    await admin.users.unlock.mutate({ userId: user.id });
    await admin.sessions.deleteAll.mutate({ userId: user.id });
    await admin.users.delete.mutate({ userId: user.id });
    const types = (await admin.events.list.query({ userId: user.id, limit: 100 })).objects.map((e) => e.type).reverse();
    expect(types).toEqual([
      "user.created",
      "session.created",
      "session.created",
      "user.updated",
      "user.groups_changed",
      "user.groups_changed",
      "session.groups_changed",
      "session.groups_changed",
      "session.groups_changed",
      "session.groups_changed",
      "session.locked",
      "session.reset",
      "session.deleted",
      "enrollment_token.created",
      "user.locked",
      "session.locked",
      "user.unlocked",
      "session.deleted",
      "user.deleted",
    ]);
  });
});
