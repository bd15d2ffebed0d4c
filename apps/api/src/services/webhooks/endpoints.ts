/**
 * `webhooks.*` management: a tenant's endpoints. Every change is recorded in the events log
 * (`webhook.created`, `webhook.updated`, `webhook.deleted`, `webhook.secret_rotated`), and so is
 * `webhooks.test` (`webhook.ping`, delivered to that endpoint only).
 */
import { WEBHOOK_PING_EVENT, type Webhook, type WebhookDelivery, type WebhookWithSecret } from "@sesame/core";
import { and, desc, eq } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints, type WebhookEndpointRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import { recordEvent } from "../events/record-events.ts";
import type { AdminScope } from "../scope.ts";
import { runInTx, type TxContext } from "../transaction.ts";
import { toPublicDelivery, toPublicWebhook } from "./mappers.ts";
import { SECRET_ROTATION_OVERLAP_MS, newWebhookSecret, sealSecret } from "./secrets.ts";
import { webhookUrlProblem } from "./target-policy.ts";
import { holdBacklog } from "./worker.ts";

/** Endpoints per tenant: enough for every real integration, bounded so fan-out stays cheap. */
export const MAX_WEBHOOKS_PER_TENANT = 50;

export interface CreateWebhookInput {
  url: string;
  events?: string[];
  description?: string | null;
}

export interface UpdateWebhookInput {
  webhookId: string;
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

function checkUrl(deps: AppDeps, url: string) {
  const problem = webhookUrlProblem(url, deps.config.webhooks);
  if (problem) throw apiError("BAD_REQUEST", `url: ${problem}`, "url");
}

const uniqueSorted = (events: string[]) => [...new Set(events)].sort();

export function createWebhook(deps: AppDeps, scope: AdminScope, input: CreateWebhookInput): Promise<WebhookWithSecret> {
  checkUrl(deps, input.url);
  return runInTx(deps, async ({ tx, now }) => {
    const existing = await tx.$count(webhookEndpoints, eq(webhookEndpoints.tenantId, scope.tenantId));
    if (existing >= MAX_WEBHOOKS_PER_TENANT) throw apiError("BAD_REQUEST", `A tenant has at most ${MAX_WEBHOOKS_PER_TENANT} webhook endpoints`, "url");
    const secret = newWebhookSecret();
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        tenantId: scope.tenantId,
        url: input.url,
        description: input.description ?? null,
        events: uniqueSorted(input.events ?? []),
        secretEnc: sealSecret(deps.config.encryptionKey, secret),
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordEvent(tx, { tenantId: scope.tenantId, type: "webhook.created", actor: scope.actor, data: { webhookId: row!.id, url: row!.url, events: row!.events } }, now);
    return { webhook: toPublicWebhook(row!, now), secret };
  });
}

export async function listWebhooks(deps: AppDeps, scope: AdminScope): Promise<Webhook[]> {
  const rows = await deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, scope.tenantId)).orderBy(desc(webhookEndpoints.createdAt));
  const now = deps.now();
  return rows.map((r) => toPublicWebhook(r, now));
}

async function lockEndpoint(t: TxContext, scope: AdminScope, webhookId: string): Promise<WebhookEndpointRow> {
  const [row] = await t.tx
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, webhookId), eq(webhookEndpoints.tenantId, scope.tenantId)))
    .for("update")
    .limit(1);
  if (!row) throw notFound("Webhook");
  return row;
}

export function updateWebhook(deps: AppDeps, scope: AdminScope, input: UpdateWebhookInput): Promise<Webhook> {
  if (input.url !== undefined) checkUrl(deps, input.url);
  return runInTx(deps, async (t) => {
    const row = await lockEndpoint(t, scope, input.webhookId);
    const patch: Partial<WebhookEndpointRow> = { updatedAt: t.now };
    const fields: string[] = [];
    if (input.url !== undefined && input.url !== row.url) {
      patch.url = input.url;
      fields.push("url");
    }
    if (input.description !== undefined && input.description !== row.description) {
      patch.description = input.description;
      fields.push("description");
    }
    if (input.events !== undefined) {
      patch.events = uniqueSorted(input.events);
      fields.push("events");
    }
    if (input.enabled !== undefined && input.enabled !== row.enabled) {
      patch.enabled = input.enabled;
      fields.push("enabled");
      // Enabling again starts a new streak; the reason for the last disable is cleared.
      if (input.enabled) Object.assign(patch, { disabledReason: null, disabledAt: null, failingSince: null });
      else Object.assign(patch, { disabledReason: null, disabledAt: t.now });
    }
    const [updated] = await t.tx.update(webhookEndpoints).set(patch).where(eq(webhookEndpoints.id, row.id)).returning();
    if (patch.enabled !== undefined) await holdBacklog(t.tx, row.id, !patch.enabled);
    if (fields.length > 0) {
      await recordEvent(t.tx, { tenantId: scope.tenantId, type: "webhook.updated", actor: scope.actor, data: { webhookId: row.id, fields } }, t.now);
    }
    return toPublicWebhook(updated!, t.now);
  });
}

export function deleteWebhook(deps: AppDeps, scope: AdminScope, input: { webhookId: string }): Promise<{ id: string; deleted: true }> {
  return runInTx(deps, async (t) => {
    const row = await lockEndpoint(t, scope, input.webhookId);
    // Its deliveries go with it (the events stay in the log).
    await t.tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, row.id));
    await recordEvent(t.tx, { tenantId: scope.tenantId, type: "webhook.deleted", actor: scope.actor, data: { webhookId: row.id, url: row.url } }, t.now);
    return { id: row.id, deleted: true as const };
  });
}

/**
 * A new secret; the current one keeps signing beside it for `SECRET_ROTATION_OVERLAP_MS` (each
 * delivery carries one `v1,` signature per secret), so receivers can switch without losing any.
 * Rotating again during an overlap ends the older overlap: only the last two secrets sign.
 */
export function rotateWebhookSecret(deps: AppDeps, scope: AdminScope, input: { webhookId: string }): Promise<WebhookWithSecret> {
  return runInTx(deps, async (t) => {
    const row = await lockEndpoint(t, scope, input.webhookId);
    const secret = newWebhookSecret();
    const expiresAt = new Date(t.now.getTime() + SECRET_ROTATION_OVERLAP_MS);
    const [updated] = await t.tx
      .update(webhookEndpoints)
      .set({ secretEnc: sealSecret(deps.config.encryptionKey, secret), previousSecretEnc: row.secretEnc, previousSecretExpiresAt: expiresAt, updatedAt: t.now })
      .where(eq(webhookEndpoints.id, row.id))
      .returning();
    await recordEvent(t.tx, { tenantId: scope.tenantId, type: "webhook.secret_rotated", actor: scope.actor, data: { webhookId: row.id, previousSecretExpiresAt: expiresAt.toISOString() } }, t.now);
    return { webhook: toPublicWebhook(updated!, t.now), secret };
  });
}

/** Sends `webhook.ping` to the endpoint (through the queue, like any event); answers its delivery. */
export function testWebhook(deps: AppDeps, scope: AdminScope, input: { webhookId: string }): Promise<WebhookDelivery> {
  return runInTx(deps, async (t) => {
    const row = await lockEndpoint(t, scope, input.webhookId);
    if (!row.enabled) throw apiError("BAD_REQUEST", "webhookId: the endpoint is disabled; enable it with webhooks.update first", "webhookId");
    await recordEvent(t.tx, { tenantId: scope.tenantId, type: WEBHOOK_PING_EVENT, actor: scope.actor, data: { webhookId: row.id } }, t.now);
    const [delivery] = await t.tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, row.id), eq(webhookDeliveries.eventType, WEBHOOK_PING_EVENT)))
      .orderBy(desc(webhookDeliveries.seq))
      .limit(1);
    return toPublicDelivery(delivery!);
  });
}
