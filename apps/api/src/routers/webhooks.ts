import {
  EVENT_TYPE_PATTERN,
  WEBHOOK_DELIVERY_STATUSES,
  deletedWebhookSchema,
  webhookDeliveriesPageSchema,
  webhookDeliverySchema,
  webhookSchema,
  webhookWithSecretSchema,
} from "@sesame/core";
import { z } from "zod";
import { listDeliveries, redeliver } from "../services/webhooks/deliveries.ts";
import { createWebhook, deleteWebhook, listWebhooks, rotateWebhookSecret, testWebhook, updateWebhook } from "../services/webhooks/endpoints.ts";
import { adminProcedure, router } from "../trpc.ts";
import { pageLimit, uuid } from "./inputs.ts";

const url = z.string().trim().min(1).max(2000);
const eventTypes = z.array(z.string().trim().regex(EVENT_TYPE_PATTERN, "must be an event type such as user.locked")).max(100);
const description = z.string().trim().max(500).nullable();
export const webhookRef = z.object({ webhookId: uuid }).strict();

export const createWebhookInput = z.object({ url, events: eventTypes.optional(), description: description.optional() }).strict();
export const updateWebhookInput = z
  .object({ webhookId: uuid, url: url.optional(), events: eventTypes.optional(), description: description.optional(), enabled: z.boolean().optional() })
  .strict();
/** Filters and paging (no personal data), so REST carries them in the query string. */
export const listDeliveriesFields = {
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  cursor: z.string().regex(/^[1-9][0-9]{0,14}$/, "must be a nextCursor from a previous page").optional(),
  limit: pageLimit(200).default(50),
};
export const listDeliveriesInput = z.object({ endpointId: uuid, ...listDeliveriesFields }).strict();
export const redeliverInput = z.object({ deliveryId: uuid }).strict();

export const webhooksRouter = router({
  create: adminProcedure.input(createWebhookInput).output(webhookWithSecretSchema).mutation(({ ctx, input }) => createWebhook(ctx.deps, ctx.scope, input)),
  list: adminProcedure.output(z.array(webhookSchema)).query(({ ctx }) => listWebhooks(ctx.deps, ctx.scope)),
  update: adminProcedure.input(updateWebhookInput).output(webhookSchema).mutation(({ ctx, input }) => updateWebhook(ctx.deps, ctx.scope, input)),
  delete: adminProcedure.input(webhookRef).output(deletedWebhookSchema).mutation(({ ctx, input }) => deleteWebhook(ctx.deps, ctx.scope, input)),
  rotateSecret: adminProcedure.input(webhookRef).output(webhookWithSecretSchema).mutation(({ ctx, input }) => rotateWebhookSecret(ctx.deps, ctx.scope, input)),
  test: adminProcedure.input(webhookRef).output(webhookDeliverySchema).mutation(({ ctx, input }) => testWebhook(ctx.deps, ctx.scope, input)),
  deliveries: adminProcedure.input(listDeliveriesInput).output(webhookDeliveriesPageSchema).query(({ ctx, input }) => listDeliveries(ctx.deps, ctx.scope, input)),
  redeliver: adminProcedure.input(redeliverInput).output(webhookDeliverySchema).mutation(({ ctx, input }) => redeliver(ctx.deps, ctx.scope, input)),
});
