/**
 * Webhook delivery end to end: the API with its webhook worker, Postgres and the cache of the run,
 * and a real receiver (node:http) verifying every request with `standardwebhooks`.
 */
import type { SesameEvent, WebhookDelivery } from "@sesame/core";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEndpoints } from "../src/db/schema.ts";
import { encryptString } from "../src/lib/crypto.ts";
import { recordDelivered, recordFailure, releaseStrandedDeliveries } from "../src/services/webhooks/worker.ts";
import { failureOf, newSession, newUser, type AdminClient } from "./admin-fixtures.ts";
import { clientFrom, DEFAULT_PASSWORD, tokensOf, uniqueIp } from "./auth-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";
import { startReceiver, type Receiver } from "./webhook-receiver.ts";

/** Short enough to run, long enough that a receiver can be "down" across several retries. */
const SCHEDULE_MS = [150, 300, 600, 1200, 2400];

let api: ApiHarness;
const receivers: Receiver[] = [];
beforeAll(async () => {
  api = await startApi({ webhookWorker: { pollMs: 50 }, config: { webhooks: { allowPrivate: true, httpsOnly: false, retryScheduleMs: SCHEDULE_MS } } });
});
afterAll(async () => api?.stop());
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(options: Parameters<typeof startReceiver>[0] = {}) {
  const r = await startReceiver(options);
  receivers.push(r);
  return r;
}

/** A tenant with one endpoint pointing at a fresh receiver that knows its secret. */
async function tenantWithEndpoint(events?: string[]) {
  const tenant = await createTenantWithAdmin(api);
  const r = await receiver();
  const { webhook, secret } = await tenant.admin.webhooks.create.mutate({ url: r.url, ...(events ? { events } : {}) });
  r.setSecrets([secret]);
  return { ...tenant, receiver: r, webhook, secret };
}

/** Every event of the tenant recorded after (and including) `fromEventId`'s, oldest first. */
/**
 * The endpoint's deliveries once `done` holds for them: the receiver sees an attempt before the
 * worker records its outcome, so a test that has just seen the answer polls the log (up to 10 s).
 */
async function deliveriesOnceSettled(admin: AdminClient, input: { endpointId: string; status?: "pending" | "delivered" | "failed" }, done: (objects: WebhookDelivery[]) => boolean) {
  const until = Date.now() + 10_000;
  for (;;) {
    const { objects } = await admin.webhooks.deliveries.query(input);
    if (done(objects) || Date.now() > until) return objects;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function eventsSince(admin: AdminClient, webhookId: string): Promise<SesameEvent[]> {
  const { objects } = await admin.events.list.query({ limit: 1000 });
  const oldestFirst = [...objects].reverse();
  const start = oldestFirst.findIndex((e) => e.type === "webhook.created" && e.data.webhookId === webhookId);
  return oldestFirst.slice(start);
}

describe("delivery", () => {
  it("delivers every event type once per change, signed, with the event as data", async () => {
    const { admin, tenant, webhook, receiver: r } = await tenantWithEndpoint();
    // A change of every kind the API records.
    const user = await newUser(admin, { password: DEFAULT_PASSWORD, email: "ada@example.com" });
    await admin.users.update.mutate({ userId: user.id, firstName: "Ada" });
    await admin.users.addToGroups.mutate({ userId: user.id, groups: ["ops"] });
    const signedIn = tokensOf(await clientFrom(api, uniqueIp()).auth.login.mutate({ tenant: tenant.code, identifier: user.username, password: DEFAULT_PASSWORD }));
    await failureOf(clientFrom(api, uniqueIp()).auth.login.mutate({ tenant: tenant.code, identifier: user.username, password: "wrong password here" }));
    await admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "billing" });
    await api.user(signedIn.accessToken).auth.logout.mutate();
    const code = await admin.enrollment.createToken.mutate({ userId: user.id });
    await clientFrom(api, uniqueIp()).auth.enroll.mutate({ tenant: tenant.code, token: code.token });
    const s2 = await newSession(admin, user.id);
    const s3 = await newSession(admin, user.id);
    await admin.sessions.wipe.mutate({ userId: user.id, sessionId: s2.session.id });
    await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: s3.session.id });
    await admin.sessions.delete.mutate({ userId: user.id, sessionId: s3.session.id });
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    await admin.users.unlock.mutate({ userId: user.id });
    const key = await admin.apiKeys.create.mutate({ name: "ci" });
    await admin.apiKeys.revoke.mutate({ apiKeyId: key.apiKey.id });
    await admin.tenants.update.mutate({ settings: { multipleDevicesPerUser: true } });
    await admin.users.delete.mutate({ userId: user.id });
    await admin.webhooks.test.mutate({ webhookId: webhook.id });

    const expected = await eventsSince(admin, webhook.id);
    await r.waitFor((got) => new Set(got.filter((g) => g.status < 300).map((g) => g.id)).size >= expected.length);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a duplicate would arrive within this

    const types = new Set(expected.map((e) => e.type));
    for (const type of [
      "webhook.created", "user.created", "user.updated", "user.groups_changed", "session.created", "auth.sign_in_failed",
      "session.groups_changed", "session.locked", "enrollment_token.created", "enrollment_token.redeemed", "session.reset", "session.deleted",
      "user.locked", "user.unlocked", "api_key.created", "api_key.revoked", "tenant.updated", "user.deleted", "webhook.ping",
    ]) {
      expect(types, type).toContain(type);
    }
    expect(r.received).toHaveLength(expected.length);
    expect(r.received.every((g) => g.verifiedBy === 0)).toBe(true);
    const byId = new Map(r.received.map((g) => [g.id, g]));
    for (const event of expected) {
      const got = byId.get(event.id);
      expect(got?.payload, event.type).toEqual({ type: event.type, timestamp: event.createdAt, data: event });
    }
  });

  it("delivers only the types an endpoint's filter names", async () => {
    const { admin, receiver: r } = await tenantWithEndpoint(["user.locked"]);
    const user = await newUser(admin);
    await admin.users.lock.mutate({ userId: user.id, wipe: true });
    await admin.users.unlock.mutate({ userId: user.id });
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    await r.waitFor((got) => got.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.received.map((g) => [g.payload.type, g.payload.data.data])).toEqual([
      ["user.locked", { wipe: true }],
      ["user.locked", { wipe: false }],
    ]);
  });

  it("queues nothing for a change that rolls back", async () => {
    const { admin, webhook } = await tenantWithEndpoint();
    const user = await newUser(admin);
    // batch.run atomic: the second operation fails, so the first one's events and deliveries go too.
    await admin.batch.run.mutate({ atomic: true, operations: [{ method: "users/lock", params: { userId: user.id, wipe: true } }, { method: "users/lock", params: { userId: crypto.randomUUID(), wipe: true } }] }).catch(() => null);
    const deliveries = await admin.webhooks.deliveries.query({ endpointId: webhook.id, limit: 200 });
    expect(deliveries.objects.map((d) => d.eventType).sort()).toEqual(["user.created", "webhook.created"]);
  });

  it("a receiver that is down, then back, gets everything, in order per user", async () => {
    const { admin, receiver: r } = await tenantWithEndpoint();
    await r.waitFor((got) => got.length >= 1); // webhook.created
    r.setRespond(() => 503);
    const users = await Promise.all([0, 1, 2].map(() => newUser(admin)));
    for (let round = 0; round < 3; round++) {
      for (const u of users) await admin.users.update.mutate({ userId: u.id, firstName: `round ${round}` });
    }
    await r.waitFor((got) => got.filter((g) => g.status === 503).length >= 6);
    r.setRespond(() => 200);
    const perUser = (id: string) => r.accepted().filter((g) => g.payload.data.userId === id);
    await r.waitFor(() => users.every((u) => perUser(u.id).length === 4), 30_000);
    for (const u of users) {
      const { objects } = await admin.events.list.query({ userId: u.id });
      expect(perUser(u.id).map((g) => g.id)).toEqual([...objects].reverse().map((e) => e.id));
    }
  });

  it("retries a receiver answering 500 with growing waits, then delivers", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created"]);
    r.setRespond((_p, attempt) => (attempt <= 2 ? 500 : 200));
    await newUser(admin);
    await r.waitFor((got) => got.some((g) => g.status === 200));
    const attempts = r.received;
    expect(attempts.map((g) => g.status)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((g) => g.id)).size).toBe(1);
    // Each wait is the schedule's with ±20 % jitter: at least 80 % of it, and the second longer than the first allows.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(0.8 * SCHEDULE_MS[0]!);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(0.8 * SCHEDULE_MS[1]!);
    const [delivery] = await deliveriesOnceSettled(admin, { endpointId: webhook.id, status: "delivered" }, (objects) => objects.length > 0);
    expect(delivery).toMatchObject({ attempts: 3, status: "delivered", responseStatus: 200, responseBody: "ok", error: null, eventType: "user.created" });
    expect(delivery!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("records an answer Postgres cannot store as sent (NUL bytes) with U+FFFD in their place, and delivers once", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created"]);
    r.setAnswerBody("ok\u0000bin\u0000ary");
    await newUser(admin);
    await r.waitFor((got) => got.some((g) => g.status === 200));
    const [delivery] = await deliveriesOnceSettled(admin, { endpointId: webhook.id, status: "delivered" }, (objects) => objects.length > 0);
    expect(delivery).toMatchObject({ attempts: 1, status: "delivered", responseStatus: 200, responseBody: "ok\uFFFDbin\uFFFDary", error: null });
    expect(r.received).toHaveLength(1);
  });

  it("marks a delivery failed after the schedule and disables the endpoint, saying why", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created"]);
    r.setRespond(() => 500);
    await newUser(admin);
    await r.waitFor((got) => got.length >= SCHEDULE_MS.length + 1, 30_000);
    const until = Date.now() + 10_000;
    let endpoint = (await admin.webhooks.list.query()).find((w) => w.id === webhook.id)!;
    while (endpoint.enabled && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      endpoint = (await admin.webhooks.list.query()).find((w) => w.id === webhook.id)!;
    }
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("HTTP 500") });
    expect(r.received).toHaveLength(SCHEDULE_MS.length + 1);
    const [failed] = (await admin.webhooks.deliveries.query({ endpointId: webhook.id, status: "failed" })).objects;
    expect(failed).toMatchObject({ attempts: SCHEDULE_MS.length + 1, status: "failed", responseStatus: 500, error: "HTTP 500", nextAttemptAt: null });
    const disabled = (await admin.events.list.query({ type: "webhook.disabled" })).objects;
    expect(disabled).toEqual([expect.objectContaining({ actor: { kind: "system", id: null }, data: expect.objectContaining({ webhookId: webhook.id }) })]);
    // While disabled nothing is queued; enabled again, new changes flow.
    await newUser(admin);
    r.setRespond(() => 200);
    await admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: true });
    const last = await newUser(admin);
    await r.waitFor((got) => got.some((g) => g.status === 200));
    expect(r.accepted().map((g) => g.payload.data.userId)).toEqual([last.id]);
  });
});

/** The endpoint's pending deliveries as stored: id, queue position and whether they are held. */
async function pendingRows(endpointId: string) {
  return api.deps.db
    .select({ id: webhookDeliveries.id, orderKey: webhookDeliveries.orderKey, held: webhookDeliveries.held })
    .from(webhookDeliveries)
    .where(sql`${webhookDeliveries.endpointId} = ${endpointId} and ${webhookDeliveries.status} = 'pending'`)
    .orderBy(webhookDeliveries.orderSeq);
}

describe("held deliveries", () => {
  it("a failed head holds the deliveries queued behind it until it is delivered; then they go, in order", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created", "user.updated"]);
    r.setRespond(() => 503);
    const user = await newUser(admin);
    for (const name of ["one", "two"]) await admin.users.update.mutate({ userId: user.id, firstName: name });
    // A third attempt means the second failure was recorded, with its hold (the updates were queued by then).
    await r.waitFor((got) => got.filter((g) => g.status === 503).length >= 3);
    expect((await pendingRows(webhook.id)).map((d) => d.held)).toEqual([false, true, true]);
    r.setRespond(() => 200);
    await r.waitFor(() => r.accepted().length === 3, 30_000);
    const { objects } = await admin.events.list.query({ userId: user.id });
    expect(r.accepted().map((g) => g.id)).toEqual([...objects].reverse().map((e) => e.id));
    expect(await deliveriesOnceSettled(admin, { endpointId: webhook.id, status: "pending" }, (pending) => pending.length === 0)).toEqual([]);
  });

  it("a head that fails for good lets its queue go (the endpoint having answered others meanwhile stays enabled)", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created", "user.updated", "webhook.updated"]);
    r.setRespond((payload) => (payload.type === "user.created" ? 500 : 200));
    const doomed = await newUser(admin);
    for (const name of ["one", "two"]) await admin.users.update.mutate({ userId: doomed.id, firstName: name });
    await r.waitFor((got) => got.filter((g) => g.status === 500).length >= 3);
    expect((await pendingRows(webhook.id)).map((d) => d.held)).toEqual([false, true, true]);
    // Another queue's delivery succeeds: the failure streak ends, so the head's last failure does not disable the endpoint.
    await admin.webhooks.update.mutate({ webhookId: webhook.id, description: "still here" });
    await r.waitFor(() => r.accepted().some((g) => g.payload.type === "webhook.updated"));
    const doomedAccepted = () => r.accepted().filter((g) => g.payload.data.userId === doomed.id);
    await r.waitFor(() => doomedAccepted().length === 2, 30_000);
    const [failed] = (await admin.webhooks.deliveries.query({ endpointId: webhook.id, status: "failed" })).objects;
    expect(failed).toMatchObject({ eventType: "user.created", attempts: SCHEDULE_MS.length + 1 });
    expect((await admin.webhooks.list.query()).find((w) => w.id === webhook.id)).toMatchObject({ enabled: true });
    const updates = (await admin.events.list.query({ userId: doomed.id, type: "user.updated" })).objects;
    expect(doomedAccepted().map((g) => g.id)).toEqual([...updates].reverse().map((e) => e.id));
  });

  it("a failure recorded after another worker delivered the same delivery changes nothing and holds nothing", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created"]);
    await newUser(admin);
    await r.waitFor((got) => got.length >= 1);
    const [delivered] = await deliveriesOnceSettled(admin, { endpointId: webhook.id, status: "delivered" }, (objects) => objects.length > 0);
    const [row] = await api.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivered!.id));
    const late = { ok: false as const, status: 500, body: "late", error: "HTTP 500", durationMs: 1 };
    await recordFailure(api.deps, row!, late, () => 0.5);
    await recordFailure(api.deps, { ...row!, attempts: SCHEDULE_MS.length + 1 }, late, () => 0.5);
    const [after] = await api.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivered!.id));
    expect(after).toMatchObject({ status: "delivered", responseStatus: 200, error: null, held: false });
    // Nor does it start a failure streak.
    const [endpoint] = await api.deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, webhook.id));
    expect(endpoint).toMatchObject({ enabled: true, failingSince: null });
  });

  it("the safety net lets go of a delivery held with nothing to wait for, and of nothing else", async () => {
    const tenant = await createTenantWithAdmin(api);
    const user = await newUser(tenant.admin);
    const [created] = (await tenant.admin.events.list.query({ userId: user.id, type: "user.created" })).objects;
    const r = await receiver();
    const live = await tenant.admin.webhooks.create.mutate({ url: r.url, events: ["user.created"] });
    r.setSecrets([live.secret]);
    const off = await tenant.admin.webhooks.create.mutate({ url: r.url, events: ["user.created"] });
    await tenant.admin.webhooks.update.mutate({ webhookId: off.webhook.id, enabled: false });
    // Held with no reason (as a bug would leave it), and held rightly: a disabled endpoint's backlog.
    const queued = (endpointId: string) => ({
      tenantId: tenant.tenant.id,
      endpointId,
      eventId: created!.id,
      eventType: "user.created",
      orderKey: user.id,
      orderSeq: 1,
      held: true,
    });
    const [stranded] = await api.deps.db.insert(webhookDeliveries).values(queued(live.webhook.id)).returning();
    const [rightly] = await api.deps.db.insert(webhookDeliveries).values(queued(off.webhook.id)).returning();
    expect(await releaseStrandedDeliveries(api.deps.db)).toBeGreaterThanOrEqual(1);
    const rows = await api.deps.db.select({ id: webhookDeliveries.id, held: webhookDeliveries.held }).from(webhookDeliveries).where(inArray(webhookDeliveries.id, [stranded!.id, rightly!.id]));
    expect(Object.fromEntries(rows.map((row) => [row.id, row.held]))).toEqual({ [stranded!.id]: false, [rightly!.id]: true });
    await r.waitFor((got) => got.some((g) => g.id === created!.id && g.status === 200));
  });
});

describe("a disabled endpoint's backlog", () => {
  it("is held out of the claim when an admin disables the endpoint (redeliveries too) and goes, in order, once it is enabled", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created", "user.updated"]);
    const user = await newUser(admin);
    await r.waitFor((got) => got.some((g) => g.status === 200));
    const [created] = await deliveriesOnceSettled(admin, { endpointId: webhook.id, status: "delivered" }, (objects) => objects.length > 0);
    r.setRespond(() => 503);
    for (const name of ["one", "two", "three"]) await admin.users.update.mutate({ userId: user.id, firstName: name });
    await r.waitFor((got) => got.some((g) => g.status === 503));
    // The head, waiting for its retry, is not held (what is queued behind it may be: see above).
    expect((await pendingRows(webhook.id))[0]).toMatchObject({ held: false });

    await admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: false });
    const again = await admin.webhooks.redeliver.mutate({ deliveryId: created!.id });
    const held = await pendingRows(webhook.id);
    expect(held).toHaveLength(4);
    expect(held.every((d) => d.held)).toBe(true);
    expect(held.map((d) => d.id)).toContain(again.id);

    r.setRespond(() => 200);
    // Enabled again, all of it goes (an attempt still in flight from before may hold its queue again
    // for its retry, so the flags are not read here: held for good, nothing would arrive).
    await admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: true });
    const accepted = () => r.accepted().filter((g) => g.payload.type === "user.updated");
    await r.waitFor(() => accepted().length === 3 && r.accepted().filter((g) => g.id === created!.eventId).length === 2, 30_000);
    const { objects } = await admin.events.list.query({ userId: user.id, type: "user.updated" });
    expect(accepted().map((g) => g.id)).toEqual([...objects].reverse().map((e) => e.id));
    expect(await pendingRows(webhook.id)).toEqual([]);
  });

  it("is held when Sesame disables the endpoint after a failed schedule, and goes once it is enabled", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created", "user.updated"]);
    r.setRespond(() => 500);
    const user = await newUser(admin);
    for (const name of ["one", "two"]) await admin.users.update.mutate({ userId: user.id, firstName: name });
    // The head (user.created) fails its whole schedule; the two updates wait behind it.
    await r.waitFor((got) => got.length >= SCHEDULE_MS.length + 1, 30_000);
    const until = Date.now() + 10_000;
    while ((await admin.webhooks.list.query()).find((w) => w.id === webhook.id)!.enabled && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    const held = await pendingRows(webhook.id);
    expect(held).toHaveLength(2);
    expect(held.every((d) => d.held)).toBe(true);

    r.setRespond(() => 200);
    await admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: true });
    await r.waitFor(() => r.accepted().length === 2, 30_000);
    const { objects } = await admin.events.list.query({ userId: user.id, type: "user.updated" });
    expect(r.accepted().map((g) => g.id)).toEqual([...objects].reverse().map((e) => e.id));
  });
});

describe("signatures", () => {
  it("fail verification with a wrong secret", async () => {
    const { admin, receiver: r } = await tenantWithEndpoint(["user.created"]);
    const { secret: otherSecret } = await admin.webhooks.create.mutate({ url: "https://unused.example.com/x", events: ["tenant.updated"] });
    r.setSecrets([otherSecret]);
    await newUser(admin);
    const [got] = await r.waitFor((g) => g.length >= 1);
    expect(got!.verifiedBy).toBeNull();
    expect(got!.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it("after rotateSecret, carry both the old and the new secret's signature until the overlap ends", async () => {
    const { admin, webhook, secret: oldSecret, receiver: r } = await tenantWithEndpoint(["user.created"]);
    const rotated = await admin.webhooks.rotateSecret.mutate({ webhookId: webhook.id });
    expect(rotated.secret).not.toBe(oldSecret);
    const overlapHours = (Date.parse(rotated.webhook.previousSecretExpiresAt!) - Date.now()) / 3_600_000;
    expect(overlapHours).toBeGreaterThan(23.9);
    expect(overlapHours).toBeLessThanOrEqual(24);

    r.setSecrets([oldSecret]);
    await newUser(admin);
    await r.waitFor((g) => g.length >= 1);
    expect(r.received[0]!.verifiedBy).toBe(0);
    expect(r.received[0]!.signature.split(" ")).toHaveLength(2);
    r.setSecrets([rotated.secret]);
    await newUser(admin);
    await r.waitFor((g) => g.length >= 2);
    expect(r.received[1]!.verifiedBy).toBe(0);

    // The overlap over: only the new secret signs.
    await api.deps.db.update(webhookEndpoints).set({ previousSecretExpiresAt: new Date(Date.now() - 1000) }).where(eq(webhookEndpoints.id, webhook.id));
    r.setSecrets([oldSecret, rotated.secret]);
    await newUser(admin);
    await r.waitFor((g) => g.length >= 3);
    expect(r.received[2]!.verifiedBy).toBe(1);
    expect(r.received[2]!.signature.split(" ")).toHaveLength(1);
    expect((await admin.webhooks.list.query()).find((w) => w.id === webhook.id)!.previousSecretExpiresAt).toBeNull();
  });
});

describe("delivery log", () => {
  it("says so when a secret cannot be decrypted, and sends nothing unsigned", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created"]);
    await api.deps.db.update(webhookEndpoints).set({ secretEnc: encryptString(new Uint8Array(32), "whsec_dGVzdA==") }).where(eq(webhookEndpoints.id, webhook.id));
    await newUser(admin);
    const until = Date.now() + 10_000;
    let delivery;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      [delivery] = (await admin.webhooks.deliveries.query({ endpointId: webhook.id })).objects;
    } while (!delivery?.error && Date.now() < until);
    expect(delivery).toMatchObject({ attempts: expect.any(Number), error: expect.stringContaining("cannot decrypt the endpoint's signing secret") });
    expect(r.received).toEqual([]);
  });

  it("lists deliveries newest first by status and cursor, and redelivers with the same webhook-id", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created"]);
    for (let i = 0; i < 5; i++) await newUser(admin);
    await r.waitFor((g) => g.length >= 5);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.webhooks.deliveries.query({ endpointId: webhook.id, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.objects.map((d) => d.eventId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    // Newest first: the reverse of arrival (one user each, so order across them is the queue's).
    expect(new Set(seen)).toEqual(new Set(r.received.map((g) => g.id)));
    expect(seen).toHaveLength(5);
    expect(await deliveriesOnceSettled(admin, { endpointId: webhook.id, status: "pending" }, (objects) => objects.length === 0)).toEqual([]);

    const [latest] = (await admin.webhooks.deliveries.query({ endpointId: webhook.id, limit: 1 })).objects;
    const again = await admin.webhooks.redeliver.mutate({ deliveryId: latest!.id });
    expect(again).toMatchObject({ eventId: latest!.eventId, status: "pending", attempts: 0 });
    await r.waitFor((g) => g.length >= 6);
    expect(r.received[5]!.id).toBe(latest!.eventId);
    expect(r.received[5]!.body).toBe(r.received.find((g) => g.id === latest!.eventId)!.body);
  });

  it("answers NOT_FOUND for another tenant's delivery", async () => {
    const { admin, webhook, receiver: r } = await tenantWithEndpoint(["user.created"]);
    await newUser(admin);
    await r.waitFor((g) => g.length >= 1);
    const [d] = (await admin.webhooks.deliveries.query({ endpointId: webhook.id })).objects;
    const other = (await createTenantWithAdmin(api)).admin;
    expect(await failureOf(other.webhooks.redeliver.mutate({ deliveryId: d!.id }))).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("recording successes together", () => {
  /** Two deliveries queued on a fresh tenant's endpoint, leased for an hour so the running worker leaves them alone. */
  async function leasedDeliveries(failingSince: Date | null) {
    const tenant = await createTenantWithAdmin(api);
    const r = await receiver();
    const { webhook } = await tenant.admin.webhooks.create.mutate({ url: r.url, events: ["user.deleted"] });
    await api.deps.db.update(webhookEndpoints).set({ failingSince }).where(eq(webhookEndpoints.id, webhook.id));
    const rows = await api.deps.db.execute<{ id: string }>(sql`
      with recorded as (
        insert into events (tenant_id, type, actor_kind, data)
        select ${tenant.tenant.id}::uuid, 'user.deleted', 'admin', '{}'::jsonb from generate_series(1, 2) returning id, seq)
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, order_key, order_seq, lease_until, attempts)
      select ${tenant.tenant.id}::uuid, ${webhook.id}::uuid, r.id, 'user.deleted', 'q' || r.seq, r.seq, now() + interval '1 hour', 1 from recorded r
      returning id`);
    return { endpointId: webhook.id, ids: rows.map((row) => row.id) };
  }

  it("writes each delivery's own answer in one call, releases the leases and ends the endpoint's failure streak", async () => {
    const { endpointId, ids } = await leasedDeliveries(new Date(Date.now() - 60_000));
    await recordDelivered(api.deps.db, [
      { delivery: { id: ids[0]!, endpointId }, outcome: { ok: true, status: 200, body: "first", durationMs: 12 }, endpointFailing: true },
      { delivery: { id: ids[1]!, endpointId }, outcome: { ok: true, status: 204, body: "", durationMs: 3 }, endpointFailing: true },
    ]);
    const rows = await api.deps.db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.id, ids));
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(ids[0]!)).toMatchObject({ status: "delivered", responseStatus: 200, responseBody: "first", durationMs: 12, leaseUntil: null, error: null, deliveredAt: expect.any(Date) });
    expect(byId.get(ids[1]!)).toMatchObject({ status: "delivered", responseStatus: 204, responseBody: "", durationMs: 3, leaseUntil: null, error: null });
    const [endpoint] = await api.deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    expect(endpoint!.failingSince).toBeNull();
  });

  it("leaves an endpoint's failure streak alone when none of the successes was claimed during one", async () => {
    const since = new Date(Date.now() - 60_000);
    const { endpointId, ids } = await leasedDeliveries(since);
    await recordDelivered(api.deps.db, [{ delivery: { id: ids[0]!, endpointId }, outcome: { ok: true, status: 200, body: "ok", durationMs: 1 }, endpointFailing: false }]);
    const [endpoint] = await api.deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    expect(endpoint!.failingSince?.getTime()).toBe(since.getTime());
    const [untouched] = await api.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, ids[1]!));
    expect(untouched).toMatchObject({ status: "pending", deliveredAt: null });
  });
});
