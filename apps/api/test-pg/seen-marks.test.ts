/**
 * Folding the edges' "seen" marks into sessions, beside the transactions that change sessions:
 * those lock a user's sessions in id order (session-change.ts), so the fold must too, or the two
 * can deadlock and Postgres aborts one of them (an admin's users.lock failing, say). Real Postgres:
 * it takes two connections at once, which the embedded one does not serve.
 */
import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sessions } from "../src/db/schema.ts";
import { newSession, newUser } from "../test/admin-fixtures.ts";
import { createTenantWithAdmin, foldSeenMarks, startApi, type ApiHarness } from "../test/harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.stop());

describe("foldSeenMarks", () => {
  it("check: this suite runs on real Postgres", () => {
    expect(inject("sesameBackends").description.postgres).toBe("real");
  });

  it("locks sessions in id order, so a transaction locking them the same way waits for it and never deadlocks with it", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const user = await newUser(admin);
    const made = [await newSession(admin, user.id), await newSession(admin, user.id)];
    const [low, high] = made.map((m) => m.session.id).sort();
    // The marks come out oldest first: the higher id first, as no id order would have it.
    const seenAt = Date.now() + 60_000;
    await api.deps.cache.markSeen([
      { sessionId: high!, seenAt: new Date(seenAt) },
      { sessionId: low!, seenAt: new Date(seenAt + 1_000) },
    ]);

    // Another transaction takes the lower id first, as session changes do, and holds it.
    const other = await api.deps.db.$client.reserve();
    try {
      await other`begin`;
      await other`select id from sessions where id = ${low!} for update`;
      const folding = foldSeenMarks(api.deps);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Then the higher one: free, since the fold waits for the lower one before taking anything.
      await other`set local lock_timeout = '5s'`;
      await other`select id from sessions where id = ${high!} for update`;
      await other`commit`;
      expect(await folding).toBe(2);
    } finally {
      await other`rollback`.catch(() => undefined);
      other.release();
    }
    const rows = await api.deps.db
      .select({ id: sessions.id, lastConnectedAt: sessions.lastConnectedAt })
      .from(sessions)
      .where(inArray(sessions.id, [low!, high!]))
      .orderBy(sql`${sessions.id}`);
    expect(rows.map((r) => r.lastConnectedAt?.getTime())).toEqual([seenAt + 1_000, seenAt]);
  });
});
