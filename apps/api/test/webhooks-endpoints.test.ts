import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEndpoints } from "../src/db/schema.ts";
import { failureOf, newUser, type AdminClient } from "./admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
let adminKey: string;
let other: AdminClient;
beforeAll(async () => {
  api = await startApi();
  const created = await createTenantWithAdmin(api);
  admin = created.admin;
  adminKey = created.key;
  other = (await createTenantWithAdmin(api)).admin;
});
afterAll(async () => api?.stop());

const URL = "https://hooks.example.com/sesame";

describe("webhooks.create / list / update / delete", () => {
  it("creates an endpoint and shows its secret once, in the Standard Webhooks form", async () => {
    const { webhook, secret } = await admin.webhooks.create.mutate({ url: URL, events: ["user.locked", "session.reset", "user.locked"], description: "SIEM" });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhook).toMatchObject({ url: URL, description: "SIEM", events: ["session.reset", "user.locked"], enabled: true, disabledReason: null, previousSecretExpiresAt: null });
    const listed = await admin.webhooks.list.query();
    expect(listed).toContainEqual(webhook);
    expect(JSON.stringify(listed)).not.toContain(secret.slice(6));
  });

  it("stores the secret encrypted, never as given", async () => {
    const { webhook, secret } = await admin.webhooks.create.mutate({ url: URL });
    const row = await api.deps.db.query.webhookEndpoints.findFirst({ where: (w, { eq }) => eq(w.id, webhook.id) });
    expect(row!.secretEnc).not.toContain(secret.slice(6, 20));
    expect(row!.secretEnc.split(".")).toHaveLength(3);
  });

  it("records each change in the events log", async () => {
    const { webhook } = await admin.webhooks.create.mutate({ url: URL });
    await admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: false });
    await admin.webhooks.rotateSecret.mutate({ webhookId: webhook.id });
    await admin.webhooks.delete.mutate({ webhookId: webhook.id });
    const { objects } = await admin.events.list.query({ limit: 10 });
    const mine = objects.filter((e) => e.data.webhookId === webhook.id).map((e) => e.type);
    expect(mine).toEqual(["webhook.deleted", "webhook.secret_rotated", "webhook.updated", "webhook.created"]);
  });

  it("updates url, events and enabled, and leaves out what is not named", async () => {
    const { webhook } = await admin.webhooks.create.mutate({ url: URL, description: "keep" });
    const updated = await admin.webhooks.update.mutate({ webhookId: webhook.id, url: "https://other.example.com/h", events: ["user.created"], enabled: false });
    expect(updated).toMatchObject({ url: "https://other.example.com/h", events: ["user.created"], enabled: false, description: "keep", disabledReason: null });
    expect((await admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: true })).enabled).toBe(true);
  });

  it("deletes an endpoint", async () => {
    const { webhook } = await admin.webhooks.create.mutate({ url: URL });
    expect(await admin.webhooks.delete.mutate({ webhookId: webhook.id })).toEqual({ id: webhook.id, deleted: true });
    expect((await admin.webhooks.list.query()).some((w) => w.id === webhook.id)).toBe(false);
    expect(await failureOf(admin.webhooks.delete.mutate({ webhookId: webhook.id }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers NOT_FOUND for another tenant's endpoint on every procedure", async () => {
    const { webhook } = await admin.webhooks.create.mutate({ url: URL });
    const ref = { webhookId: webhook.id };
    for (const call of [
      () => other.webhooks.update.mutate({ ...ref, enabled: false }),
      () => other.webhooks.delete.mutate(ref),
      () => other.webhooks.rotateSecret.mutate(ref),
      () => other.webhooks.test.mutate(ref),
      () => other.webhooks.deliveries.query({ endpointId: webhook.id }),
    ]) {
      expect(await failureOf(call())).toMatchObject({ code: "NOT_FOUND" });
    }
    expect((await other.webhooks.list.query()).some((w) => w.id === webhook.id)).toBe(false);
    expect((await admin.webhooks.list.query()).find((w) => w.id === webhook.id)?.enabled).toBe(true);
  });

  it("refuses bad input naming the field", async () => {
    expect(await failureOf(admin.webhooks.create.mutate({ url: "ftp://example.com/x" }))).toEqual({ code: "BAD_REQUEST", field: "url" });
    expect(await failureOf(admin.webhooks.create.mutate({ url: "not a url" }))).toEqual({ code: "BAD_REQUEST", field: "url" });
    expect(await failureOf(admin.webhooks.create.mutate({ url: "https://u:p@example.com/x" }))).toEqual({ code: "BAD_REQUEST", field: "url" });
    expect(await failureOf(admin.webhooks.create.mutate({ url: URL, events: ["User Locked"] }))).toEqual({ code: "BAD_REQUEST", field: "events.0" });
    expect(await failureOf(admin.webhooks.create.mutate({ url: URL, secret: "x" } as never))).toEqual({ code: "BAD_REQUEST", field: "secret" });
  });

  it("needs a tenant API key", async () => {
    expect(await failureOf(api.root().webhooks.list.query())).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await failureOf(api.anonymous().webhooks.create.mutate({ url: URL }))).toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("/v1/webhooks", () => {
  const rest = (method: string, path: string, body?: unknown) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it("manages endpoints over REST with the procedures' shapes", async () => {
    const created = await rest("POST", "/v1/webhooks", { url: URL, events: ["user.locked"] });
    expect(created.status).toBe(201);
    const { webhook, secret } = (await created.json()) as { webhook: { id: string }; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const patched = await rest("PATCH", `/v1/webhooks/${webhook.id}`, { enabled: false });
    expect(await patched.json()).toMatchObject({ id: webhook.id, enabled: false });
    const rotated = (await (await rest("POST", `/v1/webhooks/${webhook.id}/rotate-secret`)).json()) as { secret: string };
    expect(rotated.secret).not.toBe(secret);
    const log = await rest("GET", `/v1/webhooks/${webhook.id}/deliveries?status=pending&limit=10`);
    expect(await log.json()).toEqual({ objects: [], nextCursor: null });
    expect((await rest("GET", `/v1/webhooks/${webhook.id}/deliveries?status=sent`)).status).toBe(400);
    expect((await rest("DELETE", `/v1/webhooks/${webhook.id}`)).status).toBe(200);
    expect((await rest("POST", `/v1/webhooks/${webhook.id}/test`)).status).toBe(404);
  });
});

describe("a disabled endpoint's backlog under concurrent changes", () => {
  it("is held exactly when the last of many concurrent enables and disables left the endpoint disabled", async () => {
    const { webhook } = await admin.webhooks.create.mutate({ url: URL, events: ["user.created"] });
    // No webhook worker in this file: the deliveries stay pending.
    for (let i = 0; i < 5; i++) await newUser(admin);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 12 }, (_, i) => admin.webhooks.update.mutate({ webhookId: webhook.id, enabled: (i + round) % 2 === 0 })));
      const [endpoint] = await api.deps.db.select({ enabled: webhookEndpoints.enabled }).from(webhookEndpoints).where(eq(webhookEndpoints.id, webhook.id));
      const pending = await api.deps.db
        .select({ held: webhookDeliveries.held })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.endpointId, webhook.id), eq(webhookDeliveries.status, "pending")));
      expect(pending).toHaveLength(5);
      expect(pending.map((d) => d.held)).toEqual(Array(5).fill(!endpoint!.enabled));
    }
  });
});
