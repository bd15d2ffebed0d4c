/**
 * Which endpoints get an event: every enabled endpoint of the event's tenant whose filter names
 * the type (an empty filter takes every type). `webhook.ping` goes only to the endpoint it names.
 * Used by the events writer (services/events/record-events.ts) inside the event's own statement.
 */
import { WEBHOOK_PING_EVENT } from "@sesame/core";
import { sql, type SQL } from "drizzle-orm";

/** An `insert … select` over `source`, a relation of just-recorded events (id, seq, tenant_id, type, user_id, data). */
export function webhookFanOut(source: SQL): SQL {
  return sql`
    insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, order_key, order_seq)
    select e.tenant_id, w.id, e.id, e.type,
      case when e.type = ${WEBHOOK_PING_EVENT} then 'ping:' || e.id::text else coalesce(e.user_id::text, 'tenant') end, e.seq
    from ${source} e
    join webhook_endpoints w on w.tenant_id = e.tenant_id and w.enabled
    where case when e.type = ${WEBHOOK_PING_EVENT}
      then w.id::text = e.data->>'webhookId'
      else cardinality(w.events) = 0 or e.type = any(w.events) end
    order by e.seq, w.id`;
}
