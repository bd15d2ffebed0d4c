/**
 * The choke point of every write that changes what the edge lets through: sign-outs and deletes
 * (any core `RevocationCause`), access-group changes, and sessions started or re-enrolled. Each
 * bumps the session's `version`, revokes refresh tokens where it signs out, records events and
 * queues the cache entries in the outbox, all in the caller's transaction; `commitSessionChange`
 * then delivers the entries and returns the revocation receipt. To add a revoking operation, call
 * `change.apply` from inside `commitSessionChange` (README "How to… (contributors)").
 */
import {
  activeCacheEntry,
  signedOutReason,
  tombstoneCacheEntry,
  transitionSession,
  type CacheEntry,
  type RevocationCause,
  type RevocationReceipt,
  type SessionAction,
} from "@sesame/core";
import { and, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { refreshTokens, sessions, type SessionRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { recordEvents } from "../events/record-events.ts";
import { applyGroupChange, type GroupChange } from "../group-change.ts";
import type { TenantScope } from "../scope.ts";
import { transaction, type TxContext } from "../transaction.ts";
import { deliverCacheEntries, enqueueCacheEntries, outboxGraceMs } from "./cache-outbox.ts";

const EVENT_FOR_STATE = { LOCKED: "session.locked", RESET: "session.reset" } as const;

/** What an `…InTx` function did to sessions: its own part of the receipt, completed after commit. */
export interface ChangedInTx<T> {
  value: T;
  sessionIds: string[];
}

export class SessionChange implements TxContext {
  readonly sessionIds = new Set<string>();
  readonly entries: CacheEntry[] = [];
  readonly outboxIds: number[] = [];

  constructor(
    readonly tx: Tx,
    readonly deps: AppDeps,
    readonly now: Date,
  ) {}

  /** Locks (FOR UPDATE) and returns the sessions matching `where` within the tenant. */
  private async select(tenantId: string, where: SQL | undefined): Promise<SessionRow[]> {
    return this.tx
      .select()
      .from(sessions)
      .where(and(eq(sessions.tenantId, tenantId), where))
      .orderBy(sessions.id)
      .for("update");
  }

  /**
   * Applies a sign-out or delete to every matching session. Sessions the action does not change
   * (already signed out, already deleted) are left alone and not reported.
   */
  async apply(scope: TenantScope, where: SQL | undefined, action: SessionAction): Promise<SessionRow[]> {
    const { tenantId, actor } = scope;
    const rows = await this.select(tenantId, where);
    const changed: SessionRow[] = [];
    for (const row of rows) {
      const result = transitionSession(row, action, this.now);
      if (!result.ok) continue;
      changed.push({ ...result.session, updatedAt: this.now });
    }
    if (changed.length === 0) return [];
    for (const target of groupByOutcome(changed)) {
      await this.tx
        .update(sessions)
        .set({
          state: target.state,
          deletedAt: target.deletedAt,
          signedOutAt: sql`coalesce(${sessions.signedOutAt}, ${this.now.toISOString()}::timestamptz)`,
          version: sql`${sessions.version} + 1`,
          updatedAt: this.now,
        })
        .where(inArray(sessions.id, target.ids));
    }
    const ids = changed.map((s) => s.id);
    await this.tx
      .update(refreshTokens)
      .set({ revokedAt: this.now })
      .where(and(inArray(refreshTokens.sessionId, ids), isNull(refreshTokens.revokedAt)));
    const cause: RevocationCause = action.type === "delete" ? "session_deleted" : action.cause;
    await recordEvents(
      this.tx,
      changed.map((s) => ({
        tenantId,
        type: action.type === "delete" ? "session.deleted" : EVENT_FOR_STATE[s.state as "LOCKED" | "RESET"],
        actor,
        userId: s.userId,
        sessionId: s.id,
        data: { cause, state: s.state, version: s.version },
      })),
      this.now,
    );
    await this.queue(changed.map((s) => tombstoneCacheEntry(s, signedOutReason(s.state), this.now)));
    for (const id of ids) this.sessionIds.add(id);
    return changed;
  }

  /** Adds and removes access groups on the matching ENROLLED sessions. */
  async changeGroups(scope: TenantScope, where: SQL | undefined, change: GroupChange): Promise<SessionRow[]> {
    const { tenantId, actor } = scope;
    const rows = await this.select(tenantId, and(where, eq(sessions.state, "ENROLLED"), isNull(sessions.deletedAt)));
    const changed: SessionRow[] = [];
    for (const row of rows) {
      const groups = applyGroupChange(row.accessGroups, change).sort();
      if (sameGroups(groups, row.accessGroups)) continue;
      const [updated] = await this.tx
        .update(sessions)
        .set({ accessGroups: groups, version: sql`${sessions.version} + 1`, updatedAt: this.now })
        .where(eq(sessions.id, row.id))
        .returning();
      if (updated) changed.push(updated);
    }
    await recordEvents(
      this.tx,
      changed.map((s) => ({
        tenantId,
        type: "session.groups_changed",
        actor,
        userId: s.userId,
        sessionId: s.id,
        data: { add: change.add ?? [], remove: change.remove ?? [], accessGroups: s.accessGroups },
      })),
      this.now,
    );
    await this.queue(changed.map((s) => this.activeEntry(s)));
    for (const s of changed) this.sessionIds.add(s.id);
    return changed;
  }

  /**
   * Records second factors verified in an ENROLLED session (a step-up, or a factor confirmed in it)
   * and `mfaUpdatedAt`; the new entry carries them, so the edge's `requireFactors` admits the
   * session's next request. Null when the session is no longer ENROLLED.
   */
  async raiseFactors(scope: TenantScope, sessionId: string, factors: string[]): Promise<SessionRow | null> {
    const [row] = await this.select(scope.tenantId, and(eq(sessions.id, sessionId), eq(sessions.state, "ENROLLED"), isNull(sessions.deletedAt)));
    if (!row) return null;
    const merged = [...new Set([...row.factors, ...factors])].sort();
    const [updated] = (await this.tx
      .update(sessions)
      .set({ factors: merged, mfaUpdatedAt: this.now, version: sql`${sessions.version} + 1`, updatedAt: this.now })
      .where(eq(sessions.id, row.id))
      .returning()) as [SessionRow];
    await recordEvents(
      this.tx,
      [{ tenantId: scope.tenantId, type: "session.factors_verified", actor: scope.actor, userId: row.userId, sessionId: row.id, data: { factors: merged } }],
      this.now,
    );
    await this.queue([this.activeEntry(updated)]);
    this.sessionIds.add(row.id);
    return updated;
  }

  /**
   * Queues the active entry of a session started or re-enrolled in this transaction. (A refresh
   * changes no version: it only extends the lease, with a best-effort write after commit.)
   */
  async queueActive(session: SessionRow) {
    await this.queue([this.activeEntry(session)]);
  }

  private activeEntry(session: SessionRow) {
    return activeCacheEntry(session, { leaseSeconds: this.deps.config.leaseSeconds, now: this.now });
  }

  private async queue(entries: CacheEntry[]) {
    this.entries.push(...entries);
    this.outboxIds.push(...(await enqueueCacheEntries(this.tx, entries, new Date(this.now.getTime() + outboxGraceMs(this.deps)))));
  }
}

function sameGroups(a: string[], b: string[]) {
  return a.length === b.length && [...b].sort().every((g, i) => g === a[i]);
}

function groupByOutcome(rows: SessionRow[]) {
  const byKey = new Map<string, { state: SessionRow["state"]; deletedAt: Date | null; ids: string[] }>();
  for (const r of rows) {
    const key = `${r.state}:${r.deletedAt ? "d" : ""}`;
    const bucket = byKey.get(key) ?? { state: r.state, deletedAt: r.deletedAt, ids: [] };
    bucket.ids.push(r.id);
    byKey.set(key, bucket);
  }
  return [...byKey.values()];
}

/**
 * Runs `work` in one transaction with a SessionChange, then writes the queued cache entries.
 * `effectiveAt` is set once every entry is in the cache; null means the outbox worker will retry
 * and the lease bounds how long the old entry can still be trusted.
 */
export async function commitSessionChange<T>(deps: AppDeps, work: (change: SessionChange) => Promise<T>): Promise<{ value: T; receipt: RevocationReceipt }> {
  let change: SessionChange | undefined;
  const value = await transaction(deps, async (tx) => {
    change = new SessionChange(tx, deps, deps.now());
    return work(change);
  });
  const committedAt = deps.now();
  const done = change!;
  const landed = await deliverCacheEntries(deps, done.outboxIds, done.entries);
  return {
    value,
    receipt: {
      sessionIds: [...done.sessionIds],
      committedAt: committedAt.toISOString(),
      effectiveAt: landed ? deps.now().toISOString() : null,
    },
  };
}
