/**
 * Webhooks (README "Webhooks"): the public shapes of endpoints and deliveries, the payload every
 * delivery carries, and the pure rules both the API and receivers can rely on.
 */
import { z } from "zod";
import { eventSchema } from "./shapes.ts";

const time = z.iso.datetime();
const id = z.uuid();

/** Event types are dotted lower case (`user.locked`, `auth.sign_in_failed`), as in the events log. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;

/** The event `webhooks.test` sends, to the one endpoint it names (endpoint filters do not apply). */
export const WEBHOOK_PING_EVENT = "webhook.ping";

export const webhookSchema = z
  .object({
    id,
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()).meta({ description: "Event types delivered; empty = every type" }),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().meta({ description: "Why Sesame disabled the endpoint (a streak of failures); null otherwise" }),
    disabledAt: time.nullable(),
    previousSecretExpiresAt: time.nullable().meta({ description: "After rotateSecret: until then the previous secret signs too" }),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: "Webhook" });
export type Webhook = z.infer<typeof webhookSchema>;

export const webhookWithSecretSchema = z
  .object({ webhook: webhookSchema, secret: z.string().meta({ description: "The signing secret (whsec_…), shown only here" }) })
  .meta({ id: "WebhookWithSecret" });
export type WebhookWithSecret = z.infer<typeof webhookWithSecretSchema>;

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const webhookDeliverySchema = z
  .object({
    id,
    webhookId: id,
    eventId: id.meta({ description: "Also the `webhook-id` header: the same for every attempt and redelivery of the event" }),
    eventType: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: time.nullable(),
    lastAttemptAt: time.nullable(),
    responseStatus: z.number().int().nullable(),
    responseBody: z.string().nullable().meta({ description: "The start of the receiver's answer (at most 1 KiB)" }),
    durationMs: z.number().int().nullable(),
    error: z.string().nullable(),
    deliveredAt: time.nullable(),
    createdAt: time,
  })
  .meta({ id: "WebhookDelivery" });
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveriesPageSchema = z
  .object({ objects: z.array(webhookDeliverySchema), nextCursor: z.string().nullable() })
  .meta({ id: "WebhookDeliveriesPage" });

/** The body of every delivery: `data` is the event as `events.list` returns it. */
export const webhookPayloadSchema = z
  .object({ type: z.string(), timestamp: time, data: eventSchema })
  .meta({ id: "WebhookPayload" });
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** `webhooks.delete` answers the id it deleted. */
export const deletedWebhookSchema = z.object({ id, deleted: z.literal(true) }).meta({ id: "DeletedWebhook" });

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses a retry schedule such as `5s,5m,30m,2h,5h,10h,10h` into milliseconds: the waits before
 * each retry after the first attempt. Returns the problem as a string when it is malformed.
 */
export function parseRetrySchedule(text: string): number[] | string {
  const parts = text.split(",").map((p) => p.trim());
  const out: number[] = [];
  for (const part of parts) {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(part);
    if (!m) return `"${part}" is not a delay such as 500ms, 5s, 5m, 2h or 1d`;
    const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    if (ms <= 0) return `"${part}" must be longer than zero`;
    out.push(ms);
  }
  if (out.length === 0 || out.length > 50) return "must list 1–50 delays";
  return out;
}

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h";

/**
 * The wait before retry number `retry` (1-based): the schedule's delay with ±20 % jitter, so
 * deliveries that failed together (a receiver outage) do not all come back at the same instant.
 * Null when the schedule is spent. `random` is in [0, 1).
 */
export function retryDelayMs(schedule: readonly number[], retry: number, random: number): number | null {
  const base = schedule[retry - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.8 + 0.4 * random));
}
