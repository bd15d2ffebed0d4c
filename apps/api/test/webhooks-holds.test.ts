/**
 * Held webhook deliveries step by step, on the database the run uses, with no worker running: each
 * step is called as the worker calls it (claim, failure, success, the 10 s `holdArrivals` pass).
 */
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliveries, type WebhookDeliveryRow } from "../src/db/schema.ts";
import { holdArrivals, leaseDelivery, recordDelivered, recordFailure } from "../src/services/webhooks/worker.ts";
import { newUser, type AdminClient } from "./admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
beforeAll(async () => {
  api = await startApi();
  admin = (await createTenantWithAdmin(api)).admin;
});
afterAll(async () => api?.stop());

/** Leases a delivery as a claim does: one more attempt, a lease running. */
const claim = (id: string) => leaseDelivery(api.deps.db, id);

/** Records a failed attempt whose retry is `waitMs` away. */
async function failWithRetryIn(row: WebhookDeliveryRow, waitMs: number) {
  const deps = { ...api.deps, config: { ...api.deps.config, webhooks: { ...api.deps.config.webhooks, retryScheduleMs: [waitMs, waitMs] } } };
  await recordFailure(deps, row, { ok: false, status: 503, body: "", error: "HTTP 503", durationMs: 1 }, () => 0.5);
}

async function deliveriesOf(endpointId: string, userId: string) {
  return api.deps.db
    .select()
    .from(webhookDeliveries)
    .where(sql`${webhookDeliveries.endpointId} = ${endpointId} and ${webhookDeliveries.orderKey} = ${userId}`)
    .orderBy(webhookDeliveries.orderSeq);
}

describe("holdArrivals", () => {
  it("holds what was queued behind a head waiting over a minute for its retry, and the head's success lets it go", async () => {
    const { webhook } = await admin.webhooks.create.mutate({ url: "https://holds.example.com/sesame", events: ["user.created", "user.updated"] });
    const waiting = await newUser(admin);
    const dueSoon = await newUser(admin);
    const leased = await newUser(admin);
    const heads: Record<string, WebhookDeliveryRow> = {};
    for (const [user, waitMs] of [
      [waiting, 300_000],
      [dueSoon, 10_000],
      [leased, 300_000],
    ] as const) {
      const [created] = await deliveriesOf(webhook.id, user.id);
      await failWithRetryIn(await claim(created!.id), waitMs);
      heads[user.id] = created!;
    }
    // A worker whose lease ran out is still at it: its head may finish at any moment.
    await api.deps.db.update(webhookDeliveries).set({ leaseUntil: sql`now() + interval '1 minute'` }).where(eq(webhookDeliveries.id, heads[leased.id]!.id));
    // Queued after each head's failure: recordFailure did not see these.
    for (const user of [waiting, dueSoon, leased]) await admin.users.update.mutate({ userId: user.id, firstName: "later" });
    const arrival = async (userId: string) => (await deliveriesOf(webhook.id, userId))[1]!;
    expect([await arrival(waiting.id), await arrival(dueSoon.id), await arrival(leased.id)].map((d) => d.held)).toEqual([false, false, false]);

    expect(await holdArrivals(api.deps.db)).toBeGreaterThanOrEqual(1);
    expect([await arrival(waiting.id), await arrival(dueSoon.id), await arrival(leased.id)].map((d) => d.held)).toEqual([true, false, false]);

    // The waiting head is claimed again (its retry came) and delivered: its queue goes.
    const again = await claim(heads[waiting.id]!.id);
    await recordDelivered(api.deps.db, [{ delivery: again, outcome: { ok: true, status: 200, body: "ok", durationMs: 1 }, endpointFailing: true }]);
    const [head, next] = await deliveriesOf(webhook.id, waiting.id);
    expect(head).toMatchObject({ status: "delivered", held: false });
    expect(next).toMatchObject({ status: "pending", held: false });
  });

  it("holds nothing behind a head that has not failed", async () => {
    const { webhook } = await admin.webhooks.create.mutate({ url: "https://holds.example.com/fresh", events: ["user.created", "user.updated"] });
    const user = await newUser(admin);
    await admin.users.update.mutate({ userId: user.id, firstName: "next" });
    await holdArrivals(api.deps.db);
    const rows = await api.deps.db.select({ held: webhookDeliveries.held }).from(webhookDeliveries).where(inArray(webhookDeliveries.endpointId, [webhook.id]));
    expect(rows.map((r) => r.held)).toEqual([false, false]);
  });
});
