/** `webhooks.deliveries` (the delivery log, newest first) and `webhooks.redeliver`. */
import type { WebhookDelivery, WebhookDeliveryStatus } from "@sesame/core";
import { and, desc, eq, lt } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import type { AdminScope } from "../scope.ts";
import { runInTx } from "../transaction.ts";
import { toPublicDelivery } from "./mappers.ts";

export interface ListDeliveriesInput {
  endpointId: string;
  status?: WebhookDeliveryStatus;
  cursor?: string;
  limit: number;
}

export async function listDeliveries(deps: AppDeps, scope: AdminScope, input: ListDeliveriesInput): Promise<{ objects: WebhookDelivery[]; nextCursor: string | null }> {
  const [endpoint] = await deps.db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, input.endpointId), eq(webhookEndpoints.tenantId, scope.tenantId)))
    .limit(1);
  if (!endpoint) throw notFound("Webhook");
  const rows = await deps.db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, input.endpointId),
        input.status ? eq(webhookDeliveries.status, input.status) : undefined,
        input.cursor ? lt(webhookDeliveries.seq, Number(input.cursor)) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.seq))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { objects: page.map(toPublicDelivery), nextCursor: rows.length > input.limit && last ? String(last.seq) : null };
}

/**
 * Queues the delivery's event again, to the same endpoint, as a new delivery with the same
 * `webhook-id` (receivers that already have it de-duplicate). It goes out of band: it does not wait
 * for, or hold up, the user's other deliveries.
 */
export function redeliver(deps: AppDeps, scope: AdminScope, input: { deliveryId: string }): Promise<WebhookDelivery> {
  return runInTx(deps, async ({ tx, now }) => {
    const [original] = await tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, input.deliveryId), eq(webhookDeliveries.tenantId, scope.tenantId)))
      .limit(1);
    if (!original) throw notFound("Delivery");
    const [pendingCopy] = await tx
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, original.endpointId), eq(webhookDeliveries.eventId, original.eventId), eq(webhookDeliveries.status, "pending")))
      .limit(1);
    if (pendingCopy) throw apiError("CONFLICT", `deliveryId: this event is already queued for the endpoint (delivery ${pendingCopy.id})`, "deliveryId");
    // A disabled endpoint's redelivery waits, held (worker.ts `holdBacklog`); the shared lock makes
    // an enable or disable under way finish first, and one that follows see this delivery.
    const [endpoint] = await tx.select({ enabled: webhookEndpoints.enabled }).from(webhookEndpoints).where(eq(webhookEndpoints.id, original.endpointId)).for("share");
    const id = crypto.randomUUID();
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({
        id,
        tenantId: original.tenantId,
        endpointId: original.endpointId,
        eventId: original.eventId,
        eventType: original.eventType,
        orderKey: `redelivery:${id}`,
        orderSeq: original.orderSeq,
        held: !endpoint!.enabled,
        nextAttemptAt: now,
        createdAt: now,
      })
      .returning();
    return toPublicDelivery(row!);
  });
}
