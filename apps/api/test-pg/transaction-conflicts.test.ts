/**
 * A transaction Postgres aborts to break a deadlock (SQLSTATE 40P01) wrote nothing, so the API runs
 * it again (services/transaction.ts) instead of failing the call. Two atomic batches naming the same
 * users in opposite orders, or two imports of overlapping rows, can deadlock: the caller's order is
 * theirs, not ours. Real Postgres: it takes two connections at once, which the embedded one does not
 * serve. Each test makes the API's transaction the deadlock's victim: the other side waits with a
 * deadlock_timeout far beyond the API's (1 s), so only the API's backend looks for the cycle.
 */
import { inArray, sql } from "drizzle-orm";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { newUser, uniqueUsername } from "../test/admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "../test/harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.stop());

/** Resolves once some backend of this database waits for a lock. */
async function untilSomeoneWaits(): Promise<void> {
  const until = Date.now() + 5_000;
  for (;;) {
    const [row] = await api.deps.db.execute<{ waiting: number }>(sql`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
    if (row!.waiting > 0) return;
    if (Date.now() > until) throw new Error("nobody waited for a lock within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs `steps` with another transaction, on its own connection, that never looks for deadlocks
 * itself; whatever `steps` leaves of it uncommitted is rolled back.
 */
async function withOtherTransaction(steps: (other: postgres.ReservedSql) => Promise<void>): Promise<void> {
  const other = await api.deps.db.$client.reserve();
  try {
    await other`begin`;
    await other`set local deadlock_timeout = '60s'`;
    await steps(other);
  } finally {
    await other`rollback`.catch(() => undefined);
    other.release();
  }
}

describe("transactions Postgres aborts to break a deadlock", () => {
  it("check: this suite runs on real Postgres", () => {
    expect(inject("sesameBackends").description.postgres).toBe("real");
  });

  it("an atomic batch.run that deadlocks is run again, and applies every operation", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const [first, second] = [await newUser(admin), await newUser(admin)];
    await withOtherTransaction(async (other) => {
      // The other side holds the second user; the batch takes the first, then waits for the second.
      await other`select id from users where id = ${second.id} for update`;
      const batch = admin.batch.run.mutate({
        atomic: true,
        operations: [
          { method: "users/lock", params: { userId: first.id, wipe: false } },
          { method: "users/lock", params: { userId: second.id, wipe: false } },
        ],
      });
      batch.catch(() => undefined); // awaited below; this only keeps a failure from going unhandled meanwhile
      await untilSomeoneWaits();
      // Now the other side wants the first user: a cycle, which the batch's backend finds and ends.
      await other`select id from users where id = ${first.id} for update`;
      await other`commit`;
      const { results } = await batch;
      expect(results).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true })]);
      const locked = await api.deps.db.select({ id: users.id, locked: users.locked }).from(users).where(inArray(users.id, [first.id, second.id]));
      expect(locked.every((u) => u.locked)).toBe(true);
    });
  });

  it("users.import that deadlocks is run again: every row gets its own result and no user is made twice", async () => {
    const { admin, tenant } = await createTenantWithAdmin(api);
    const [a, b] = [uniqueUsername("a"), uniqueUsername("b")];
    const insert = (other: postgres.ReservedSql, username: string) =>
      other`insert into users (tenant_id, external_id, username, username_key, status) values (${tenant.id}, ${username}, ${username}, ${username}, 'pendingJoin')`;
    await withOtherTransaction(async (other) => {
      // The other side has inserted b (not committed); the import inserts a, then waits on b's key.
      await insert(other, b);
      const imported = admin.users.import.mutate({ users: [{ externalId: a, username: a }, { externalId: b, username: b }] });
      imported.catch(() => undefined); // awaited below
      await untilSomeoneWaits();
      // Now the other side inserts a, which waits on the import's a: the import's backend ends the cycle.
      await insert(other, a);
      await other`commit`;
      const { results } = await imported;
      // Run again after the other side committed, the import finds both rows made by someone else.
      expect(results.map((r) => [r.externalId, r.status])).toEqual([
        [a, expect.stringMatching(/^(skipped|failed)$/)],
        [b, expect.stringMatching(/^(skipped|failed)$/)],
      ]);
      const made = await api.deps.db.select({ externalId: users.externalId }).from(users).where(inArray(users.externalId, [a, b]));
      expect(made.map((u) => u.externalId).sort()).toEqual([a, b].sort());
    });
  });

  it("check: a deadlock the API does not retry fails the call (the batch above would, without the retry)", async () => {
    // The same cycle directly on drizzle's pool, outside the API's transaction helper.
    const { admin } = await createTenantWithAdmin(api);
    const [first, second] = [await newUser(admin), await newUser(admin)];
    await withOtherTransaction(async (other) => {
      await other`select id from users where id = ${second.id} for update`;
      const plain = api.deps.db.transaction(async (tx) => {
        await tx.execute(sql`select id from users where id = ${first.id} for update`);
        await tx.execute(sql`select id from users where id = ${second.id} for update`);
      });
      const outcome = plain.then(
        () => "committed",
        (error: { code?: string; cause?: { code?: string } }) => error.code ?? error.cause?.code,
      );
      await untilSomeoneWaits();
      await other`select id from users where id = ${first.id} for update`;
      await other`commit`;
      expect(await outcome).toBe("40P01");
    });
  });
});
