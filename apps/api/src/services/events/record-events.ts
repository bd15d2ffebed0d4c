/** The audit log: every change writes an event in the same transaction as the change. */
import type { DbOrTx } from "../../db/client.ts";
import { events } from "../../db/schema.ts";
import type { Actor } from "../scope.ts";

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
  await db.insert(events).values(
    inputs.map((e) => ({
      tenantId: e.tenantId,
      type: e.type,
      actorKind: e.actor.kind,
      actorId: e.actor.id,
      userId: e.userId ?? null,
      sessionId: e.sessionId ?? null,
      data: e.data ?? {},
      createdAt: now,
    })),
  );
}

export const recordEvent = (db: DbOrTx, input: EventInput, now: Date) => recordEvents(db, [input], now);
