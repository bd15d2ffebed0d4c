/**
 * The audit log: every change writes an event in the same transaction as the change. The same
 * statement queues the event's webhook deliveries (one per enabled endpoint of the tenant whose
 * filter matches), so a change and its deliveries commit or roll back together.
 */
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import type { Actor } from "../scope.ts";
import { webhookFanOut } from "../webhooks/fan-out.ts";

export interface EventInput {
  tenantId: string | null;
  type: string;
  actor: Actor;
  userId?: string | null;
  sessionId?: string | null;
  data?: Record<string, unknown>;
}

export async function recordEvents(db: DbOrTx, inputs: EventInput[], now: Date): Promise<void> {
  if (inputs.length === 0) return;
  const rows = inputs.map((e) => ({
    tenant_id: e.tenantId,
    type: e.type,
    actor_kind: e.actor.kind,
    actor_id: e.actor.id,
    user_id: e.userId ?? null,
    session_id: e.sessionId ?? null,
    data: e.data ?? {},
  }));
  // One round trip: the events are inserted in input order (so `seq` follows it) and fanned out.
  await db.execute(sql`
    with recorded as (
      insert into events (tenant_id, type, actor_kind, actor_id, user_id, session_id, data, created_at)
      select r.tenant_id, r.type, r.actor_kind, r.actor_id, r.user_id, r.session_id, r.data, ${now.toISOString()}::timestamptz
      from rows from (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as (tenant_id uuid, type text, actor_kind text, actor_id text, user_id uuid, session_id uuid, data jsonb))
        with ordinality as r(tenant_id, type, actor_kind, actor_id, user_id, session_id, data, ord)
      order by r.ord
      returning id, seq, tenant_id, type, user_id, data
    )
    ${webhookFanOut(sql`recorded`)}`);
}

export const recordEvent = (db: DbOrTx, input: EventInput, now: Date) => recordEvents(db, [input], now);
