/**
 * The statements that change many webhook deliveries at once lock them in id order, so that two of
 * them (the worker recording a group of successes, an admin disabling the endpoint) wait for one
 * another instead of deadlocking, which Postgres would end by aborting one of them. Real Postgres:
 * it takes two connections at once, which the embedded one does not serve.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "../src/db/schema.ts";
import { webhookDeliveries } from "../src/db/schema.ts";
import type { AppDeps } from "../src/deps.ts";
import { leaseDelivery, recordDelivered } from "../src/services/webhooks/worker.ts";
import { newUser } from "../test/admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "../test/harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  // No webhook worker: each step is taken here.
  api = await startApi();
});
afterAll(async () => api?.stop());

/** Leases a delivery as a claim does. */
const claim = (id: string) => leaseDelivery(api.deps.db, id);

/**
 * An endpoint with two pending deliveries, stored higher id first, so that whatever plan Postgres
 * picks (the stored order, or an order given with them), a statement that does not sort takes the
 * higher id first.
 */
async function twoDeliveriesHigherIdFirst() {
  const { admin, tenant } = await createTenantWithAdmin(api);
  // A filter nothing here matches: the only deliveries are the two written below.
  const { webhook } = await admin.webhooks.create.mutate({ url: "https://locks.example.com/sesame", events: ["session.reset"] });
  const users = [await newUser(admin), await newUser(admin)];
  const [created] = (await admin.events.list.query({ type: "user.created", userId: users[0]!.id })).objects;
  const ids = [crypto.randomUUID(), crypto.randomUUID()].sort();
  for (const [i, id] of [ids[1]!, ids[0]!].entries()) {
    await api.deps.db.insert(webhookDeliveries).values({ id, tenantId: tenant.id, endpointId: webhook.id, eventId: created!.id, eventType: "user.created", orderKey: users[i]!.id, orderSeq: i });
  }
  return { admin, webhook, ids: ids as [string, string] };
}

/**
 * Holds the lower id in a transaction of its own, runs `statement` (which must then wait for it),
 * and takes the higher id: free, if `statement` waits for the lower one before taking anything.
 */
async function whileHoldingLowerThenHigher(ids: [string, string], statement: () => Promise<unknown>) {
  const other = await api.deps.db.$client.reserve();
  try {
    await other`begin`;
    await other`select id from webhook_deliveries where id = ${ids[0]} for update`;
    const running = statement();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await other`set local lock_timeout = '5s'`;
    await other`select id from webhook_deliveries where id = ${ids[1]} for update`;
    await other`commit`;
    await running;
  } finally {
    await other`rollback`.catch(() => undefined);
    other.release();
  }
}

describe("webhook delivery locks", () => {
  it("check: this suite runs on real Postgres", () => {
    expect(inject("sesameBackends").description.postgres).toBe("real");
  });

  it("a group of successes takes its deliveries in id order, so a transaction taking them the same way waits for it and never deadlocks with it", async () => {
    const { webhook, ids } = await twoDeliveriesHigherIdFirst();
    const low = await claim(ids[0]);
    const high = await claim(ids[1]);
    const ok = { ok: true as const, status: 200, body: "ok", durationMs: 1 };
    // The successes come higher id first, on a connection that plans as Postgres does for a large
    // table (a nested loop over the successes in the order given).
    const worker = postgres(api.config.database.url, { max: 1, connection: { enable_hashjoin: "off", enable_mergejoin: "off" } });
    try {
      await whileHoldingLowerThenHigher(ids, () =>
        recordDelivered(drizzle(worker, { schema }) as unknown as AppDeps["db"], [
          { delivery: high, outcome: ok, endpointFailing: false },
          { delivery: low, outcome: ok, endpointFailing: false },
        ]),
      );
    } finally {
      await worker.end();
    }
    const after = await api.deps.db.select({ status: webhookDeliveries.status }).from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, webhook.id));
    expect(after.map((d) => d.status)).toEqual(["delivered", "delivered"]);
  });

  it("an admin's disable holds the endpoint's backlog in id order too", async () => {
    const { admin, webhook, ids } = await twoDeliveriesHigherIdFirst();
    await whileHoldingLowerThenHigher(ids, () => admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: false }));
    const after = await api.deps.db.select({ held: webhookDeliveries.held }).from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, webhook.id));
    expect(after.map((d) => d.held)).toEqual([true, true]);
  });
});
