import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { users } from "../src/db/schema.ts";
import { failureOf, newSession, newUser, randomId, sessionStates, type AdminClient, startWithTwoTenants } from "./admin-fixtures.ts";
import { type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
let other: AdminClient;
beforeAll(async () => {
  ({ api, admin, other } = await startWithTwoTenants());
});
afterAll(async () => api?.stop());

type Operations = Parameters<AdminClient["batch"]["run"]["mutate"]>[0]["operations"];
const isLocked = async (userId: string) => (await api.deps.db.select({ locked: users.locked }).from(users).where(eq(users.id, userId)))[0]?.locked;

describe("batch.run", () => {
  it("runs every JourneyApps method and answers a result per operation", async () => {
    const alice = await newUser(admin);
    const bob = await newUser(admin);
    const a = await newSession(admin, alice.id);
    const b1 = await newSession(admin, bob.id);
    const b2 = await newSession(admin, bob.id);
    const { results } = await admin.batch.run.mutate({
      operations: [
        { method: "users/lock", params: { userId: alice.id, wipe: false } },
        { method: "users/unlock", params: { userId: alice.id } },
        { method: "users/sessions/wipe", params: { userId: bob.id, sessionId: b1.session.id } },
        { method: "users/sessions/re-authenticate", params: { userId: bob.id, sessionId: b2.session.id } },
        { method: "users/authentication-token", params: { userId: bob.id } },
      ],
    });
    expect(results).toEqual([
      { ok: true, result: { user: expect.objectContaining({ id: alice.id, locked: true }), revocation: expect.objectContaining({ sessionIds: [a.session.id], effectiveAt: expect.any(String) }) } },
      { ok: true, result: expect.objectContaining({ id: alice.id, locked: false }) },
      { ok: true, result: { session: expect.objectContaining({ id: b1.session.id, state: "RESET" }), revocation: expect.objectContaining({ sessionIds: [b1.session.id] }) } },
      { ok: true, result: { session: expect.objectContaining({ id: b2.session.id, state: "LOCKED" }), revocation: expect.objectContaining({ sessionIds: [b2.session.id] }) } },
      { ok: true, result: expect.objectContaining({ token: expect.stringMatching(/^\d{8}$/), enrollmentId: expect.any(String) }) },
    ]);
  });

  it("without atomic, applies the operations that succeed and reports the ones that fail", async () => {
    const alice = await newUser(admin);
    const bob = await newUser(admin);
    const { results } = await admin.batch.run.mutate({
      operations: [
        { method: "users/lock", params: { userId: alice.id, wipe: true } },
        { method: "users/lock", params: { userId: randomId(), wipe: true } },
        { method: "users/lock", params: { userId: bob.id, wipe: true } },
      ],
    });
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toEqual({ ok: false, error: { code: "NOT_FOUND", message: "User not found" } });
    expect([await isLocked(alice.id), await isLocked(bob.id)]).toEqual([true, true]);
  });

  it("with atomic, commits nothing when one operation fails, and says so in every result", async () => {
    const alice = await newUser(admin);
    const { session } = await newSession(admin, alice.id);
    const { results } = await admin.batch.run.mutate({
      atomic: true,
      operations: [
        { method: "users/lock", params: { userId: alice.id, wipe: true } },
        { method: "users/sessions/wipe", params: { userId: alice.id, sessionId: randomId() } },
        { method: "users/unlock", params: { userId: alice.id } },
      ],
    });
    expect(results).toEqual([
      { ok: false, error: { code: "ABORTED", message: expect.stringContaining("operation 1 failed") } },
      { ok: false, error: { code: "NOT_FOUND", message: "Session not found" } },
      { ok: false, error: { code: "ABORTED", message: expect.any(String) } },
    ]);
    expect(await isLocked(alice.id)).toBe(false);
    expect(await sessionStates(api, [session.id])).toEqual({ [session.id]: { state: "ENROLLED", deleted: false } });
    expect((await admin.events.list.query({ userId: alice.id, type: "user.locked" })).objects).toEqual([]);
  });

  it("with atomic, commits every operation in one transaction when all succeed", async () => {
    const alice = await newUser(admin);
    const bob = await newUser(admin);
    const a = await newSession(admin, alice.id);
    const b = await newSession(admin, bob.id);
    const { results } = await admin.batch.run.mutate({
      atomic: true,
      operations: [
        { method: "users/lock", params: { userId: alice.id, wipe: false } },
        { method: "users/lock", params: { userId: bob.id, wipe: true } },
      ],
    });
    expect(results.every((r) => r.ok)).toBe(true);
    const receipts = results.map((r) => (r.ok && "revocation" in r.result ? r.result.revocation : null));
    expect(receipts.map((r) => r?.sessionIds)).toEqual([[a.session.id], [b.session.id]]);
    expect(receipts[0]?.committedAt).toBe(receipts[1]?.committedAt);
    expect(await sessionStates(api, [a.session.id, b.session.id])).toEqual({
      [a.session.id]: { state: "LOCKED", deleted: false },
      [b.session.id]: { state: "RESET", deleted: false },
    });
  });

  it("answers NOT_FOUND per operation for another tenant's users", async () => {
    const foreign = await newUser(other);
    const { results } = await admin.batch.run.mutate({ operations: [{ method: "users/lock", params: { userId: foreign.id, wipe: true } }] });
    expect(results).toEqual([{ ok: false, error: { code: "NOT_FOUND", message: "User not found" } }]);
    expect(await isLocked(foreign.id)).toBe(false);
  });

  it("answers BAD_REQUEST naming the operation's field for malformed params, running nothing", async () => {
    const alice = await newUser(admin);
    const operations = [
      { method: "users/lock", params: { userId: alice.id, wipe: true } },
      { method: "users/lock", params: { userId: alice.id } },
    ] as Operations;
    expect(await failureOf(admin.batch.run.mutate({ operations }))).toEqual({ code: "BAD_REQUEST", field: "operations.1.params.wipe" });
    expect(await isLocked(alice.id)).toBe(false);
  });

  it("answers BAD_REQUEST for an unknown method", async () => {
    const operations = [{ method: "users/explode", params: { userId: randomId() } }] as unknown as Operations;
    expect(await failureOf(admin.batch.run.mutate({ operations }))).toEqual({ code: "BAD_REQUEST", field: "operations.0.method" });
  });

  it("answers BAD_REQUEST naming operations for none or more than 1000", async () => {
    const op = { method: "users/unlock" as const, params: { userId: randomId() } };
    expect(await failureOf(admin.batch.run.mutate({ operations: [] }))).toEqual({ code: "BAD_REQUEST", field: "operations" });
    expect(await failureOf(admin.batch.run.mutate({ operations: Array.from({ length: 1001 }, () => op) }))).toEqual({ code: "BAD_REQUEST", field: "operations" });
  });

  it("runs 1000 operations in one call", async () => {
    const user = await newUser(admin);
    const operations = Array.from({ length: 1000 }, () => ({ method: "users/unlock" as const, params: { userId: user.id } }));
    const { results } = await admin.batch.run.mutate({ operations, atomic: true });
    expect(results).toHaveLength(1000);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it("records each operation's events", async () => {
    const alice = await newUser(admin);
    await admin.batch.run.mutate({ operations: [{ method: "users/lock", params: { userId: alice.id, wipe: false } }, { method: "users/unlock", params: { userId: alice.id } }] });
    const { objects } = await admin.events.list.query({ userId: alice.id });
    expect(objects.map((e) => e.type)).toEqual(["user.unlocked", "user.locked", "user.created"]);
  });
});
