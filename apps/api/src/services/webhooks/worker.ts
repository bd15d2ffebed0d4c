/**
 * The webhook worker: delivers queued deliveries (written with their events, see fan-out.ts).
 *
 * - **Claiming** is one statement with `FOR UPDATE SKIP LOCKED` that sets a lease: any number of
 *   API processes can run the worker on one database and never take the same attempt twice. A
 *   process that dies mid-delivery leaves the lease to run out (`LEASE_MS`); then another takes the
 *   delivery over, so nothing is lost (at-least-once; receivers de-duplicate on `webhook-id`).
 * - **Order**: a delivery is claimed only when no earlier delivery for the same endpoint and
 *   `order_key` (the user, or `tenant` for events about no user) is still pending — so one user's
 *   events reach an endpoint one at a time, in the order they were recorded, retries included.
 * - **Retries** follow `SESAME_WEBHOOKS_RETRY_SCHEDULE` with ±20 % jitter; after the last one the
 *   delivery is `failed`. If the endpoint has not answered any delivery with 2xx since that
 *   delivery's first attempt, the endpoint is disabled with the reason (`disabledReason`).
 */
import { retryDelayMs, type WebhookPayload } from "@sesame/core";
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { events, webhookDeliveries, webhookEndpoints, type WebhookDeliveryRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { groupWhileBusy } from "../../lib/group-while-busy.ts";
import { recordEvent } from "../events/record-events.ts";
import { toPublicEvent } from "../mappers.ts";
import { signingSecrets } from "./secrets.ts";
import { createWebhookSender, type AttemptOutcome, type WebhookSender } from "./send.ts";
import { transaction } from "../transaction.ts";

/** Connections of the worker's own pool (main.ts). */
export const WORKER_POOL_MAX = 2;

/** A claimed delivery is the claimer's for this long: the 10 s attempt, with a wide margin. */
export const LEASE_MS = 60_000;

export interface WebhookWorkerOptions {
  /** Deliveries in flight at once per process. */
  concurrency?: number;
  /** How often to look for due deliveries when idle. */
  pollMs?: number;
  /** Sends a delivery; tests and the bench use the real sender, this is for fault injection. */
  sender?: WebhookSender;
  random?: () => number;
  /** How long a claim holds (default `LEASE_MS`); tests shorten it to see a takeover. */
  leaseMs?: number;
  /**
   * A pool of the worker's own (main.ts gives it two connections), so a burst of API requests
   * queued for the request pool does not hold deliveries back, nor deliveries the requests.
   */
  db?: AppDeps["db"];
}

interface Claimed {
  delivery: WebhookDeliveryRow;
  /** The endpoint was in a failure streak when claimed (a success ends it). */
  endpointFailing: boolean;
  url: string;
  /** The active signing secrets, or why they could not be read. */
  secrets: string[] | { error: string };
  body: string;
}

/** Finished deliveries are kept this long in the delivery log, then pruned. */
export const DELIVERY_RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 10 * 60_000;

function readSecrets(deps: AppDeps, endpoint: Parameters<typeof signingSecrets>[1], now: Date): string[] | { error: string } {
  try {
    return signingSecrets(deps.config.encryptionKey, endpoint, now);
  } catch {
    // Not retried forever: the attempt fails like any other and the schedule runs its course.
    return { error: "cannot decrypt the endpoint's signing secret (was SESAME_ENCRYPTION_KEY changed?); rotate it with webhooks.rotateSecret" };
  }
}

/**
 * Claims up to `limit` due deliveries (leased to the caller); skips those another worker holds.
 * With statistics on the table, Postgres walks `webhook_deliveries_pending_due_idx` from the
 * earliest due delivery and stops once it has `limit` heads of their queues, so a claim costs about
 * the same whatever the backlog. A head whose retry is not due is past the end of that walk, however
 * many there are (a receiver down for every user leaves one per user). Deliveries that cannot go for
 * a while are held out of that index (`held`): a disabled endpoint's backlog (`holdBacklog`), and the
 * deliveries queued behind a head that failed and waits for its retry (`recordFailure`,
 * `holdArrivals`). What is still stepped over one by one is small: queues whose head is in flight,
 * and what was queued behind a waiting head in the last few seconds or while its retry was under a
 * minute away.
 */
export async function claimDeliveries(deps: AppDeps, limit: number, leaseMs = LEASE_MS): Promise<Claimed[]> {
  if (limit <= 0) return [];
  const claimed = await deps.db.execute<{ id: string }>(claimStatement(limit, leaseMs));
  const ids = [...claimed].map((r) => r.id);
  if (ids.length === 0) return [];
  const rows = await deps.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints, event: events })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(inArray(webhookDeliveries.id, ids));
  const now = deps.now();
  return rows
    .sort((a, b) => a.delivery.orderSeq - b.delivery.orderSeq)
    .map(({ delivery, endpoint, event }) => {
      const data = toPublicEvent(event);
      const payload: WebhookPayload = { type: data.type, timestamp: data.createdAt, data };
      return { delivery, endpointFailing: endpoint.failingSince !== null, url: endpoint.url, secrets: readSecrets(deps, endpoint, now), body: JSON.stringify(payload) };
    });
}

/** Leases the deliveries `ids` selects: one more attempt, and theirs for `leaseMs`. Returns their ids. */
function leaseStatement(ids: SQL, leaseMs: number): SQL {
  return sql`
    update webhook_deliveries d
    set lease_until = now() + ${`${leaseMs} milliseconds`}::interval,
        attempts = d.attempts + 1,
        first_attempt_at = coalesce(d.first_attempt_at, now()),
        last_attempt_at = now()
    where d.id in (${ids})
    returning d.id`;
}

/** The claim itself: leases up to `limit` heads of their queues that are due, and returns their ids. */
export function claimStatement(limit: number, leaseMs: number): SQL {
  return leaseStatement(
    sql`
      select c.id from webhook_deliveries c
      join webhook_endpoints w on w.id = c.endpoint_id and w.enabled
      where c.status = 'pending' and not c.held and c.next_attempt_at <= now() and (c.lease_until is null or c.lease_until < now())
        and not exists (
          select 1 from webhook_deliveries p
          where p.endpoint_id = c.endpoint_id and p.order_key = c.order_key and p.status = 'pending' and p.order_seq < c.order_seq)
      order by c.next_attempt_at, c.order_seq
      limit ${limit}
      for update of c skip locked`,
    leaseMs,
  );
}

/** Leases one delivery as a claim does, whatever the queue says: for tests taking the worker's steps one at a time. */
export async function leaseDelivery(db: AppDeps["db"], id: string, leaseMs = LEASE_MS): Promise<WebhookDeliveryRow> {
  await db.execute(leaseStatement(sql`select ${id}::uuid`, leaseMs));
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  if (!row) throw new Error(`no webhook delivery ${id}`);
  return row;
}

/**
 * Holding is only ever a hint for the claim, which still checks everything itself: a delivery left
 * unheld that should be held is stepped over, never sent early. The danger is the other way, a
 * delivery held with nothing to wait for, which nothing would claim. So every hold has its release:
 *
 * - a disabled endpoint's backlog (here): released when the endpoint is enabled again;
 * - the deliveries queued behind a head that failed and waits for its retry (`recordFailure`, and
 *   `holdArrivals` every 10 s for those queued since): released when that head leaves `pending`,
 *   delivered (`recordDelivered`) or failed for good. The hold is written with the head's retry,
 *   under the head's row lock, or while the head's retry is over a minute away, so whoever
 *   finishes the head later sees it;
 * - and as a safety net, `releaseStrandedDeliveries` (every 10 minutes) lets go of any delivery
 *   held with neither reason, and says so in the log.
 */

/**
 * Sets `held` on the pending deliveries among `candidates` (a query of delivery ids), and answers
 * their ids. They are locked in id order first: every statement that changes several deliveries at
 * once takes them that way (`recordDelivered` too), so two such statements (an admin disabling an
 * endpoint, the worker recording a group of successes) wait for each other rather than deadlock,
 * which Postgres would end by aborting one of them. A delivery that stopped being pending, or was
 * set meanwhile, while this waited for it, is left as it is.
 */
function setHeld(held: boolean, candidates: SQL): SQL {
  return sql`
    update webhook_deliveries set held = ${held}
    where status = 'pending' and held = ${!held}
      and id in (select l.id from webhook_deliveries l where l.id in (${candidates}) order by l.id for update)
    returning id`;
}

/**
 * Holds a disabled endpoint's pending deliveries out of the claim, or lets them go again once it is
 * enabled. Called in the transaction that changes `enabled`, after the endpoint's row is locked, so
 * two such changes to one endpoint take turns and the last one decides. A delivery queued by a
 * transaction that read the endpoint as enabled just before it was disabled is unheld: the claim's
 * own check on `enabled` steps over it.
 */
export async function holdBacklog(tx: Pick<AppDeps["db"], "execute">, endpointId: string, held: boolean): Promise<void> {
  await tx.execute(setHeld(held, sql`select id from webhook_deliveries where endpoint_id = ${endpointId} and status = 'pending' and held = ${!held}`));
}

/**
 * Holds the pending deliveries queued behind each of `heads` (`endpoint_id`, `order_key`,
 * `order_seq`): a delivery waiting for its retry, whose queue cannot go before it.
 */
function holdBehind(heads: SQL): SQL {
  return setHeld(
    true,
    sql`
      select f.id from webhook_deliveries f join (${heads}) h on f.endpoint_id = h.endpoint_id and f.order_key = h.order_key
      where f.status = 'pending' and not f.held and f.order_seq > h.order_seq`,
  );
}

/**
 * A head waits this long at least for its retry before what was queued behind it since its last
 * failure is held by `holdArrivals`: longer than any statement takes, so a head cannot be claimed,
 * and finished, between that statement's start and its commit (then its release would miss them).
 */
const ARRIVALS_HOLD_MARGIN_MS = 60_000;
/** How often each worker holds what arrived behind waiting heads. */
const HOLD_ARRIVALS_EVERY_MS = 10_000;

/**
 * Holds what was queued behind a head after that head's last failure (`recordFailure` held what was
 * there by then): during a retry wait of hours, a queue behind a receiver that is down keeps
 * growing, and unheld, every claim would step over it. Only heads whose retry is more than
 * `ARRIVALS_HOLD_MARGIN_MS` away and that no worker holds a lease on: those stay pending until well
 * after this commits, so their release sees what this holds. (A worker whose lease ran out and that
 * reports the head delivered late, within that moment, is the exception the safety net is for.)
 * Answers how many it held.
 */
export async function holdArrivals(db: AppDeps["db"]): Promise<number> {
  const held = await db.execute<{ id: string }>(holdArrivalsStatement());
  return [...held].length;
}

/**
 * `holdArrivals`' statement. The waiting heads are found through the claim's index, past its due
 * end (`next_attempt_at` later than the margin), so the pass reads those heads and what is queued
 * behind them, never the due backlog.
 */
export function holdArrivalsStatement(): SQL {
  return holdBehind(sql`
    select endpoint_id, order_key, order_seq from webhook_deliveries
    where status = 'pending' and not held and next_attempt_at > now() + ${`${ARRIVALS_HOLD_MARGIN_MS} milliseconds`}::interval
      and (lease_until is null or lease_until < now())`);
}

/**
 * Lets go of the held deliveries of each queue (endpoint and order key) in `finished`, a relation of
 * deliveries that have just left `pending` (`id`, `endpoint_id`, `order_key`, `attempts`) in the same
 * statement; those are left alone (a row is changed once per statement). A delivery finished at its
 * first attempt never failed, so it held nothing back: its queue is not looked at.
 */
function releaseQueuesOf(finished: SQL): SQL {
  return setHeld(
    false,
    sql`
      select q.id from webhook_deliveries q join ${finished} f on q.endpoint_id = f.endpoint_id and q.order_key = f.order_key
      where f.attempts > 1 and q.status = 'pending' and q.held and q.id not in (select id from ${finished})`,
  );
}

/**
 * The safety net (see above): lets go of every held delivery whose endpoint is enabled and which has
 * no unheld pending delivery before it in its queue, i.e. nothing left to wait for. Answers how many.
 */
export async function releaseStrandedDeliveries(db: AppDeps["db"]): Promise<number> {
  const released = await db.execute<{ id: string }>(
    setHeld(
      false,
      sql`
        select d.id from webhook_deliveries d
        where d.status = 'pending' and d.held
          and exists (select 1 from webhook_endpoints w where w.id = d.endpoint_id and w.enabled)
          and not exists (
            select 1 from webhook_deliveries h
            where h.endpoint_id = d.endpoint_id and h.order_key = d.order_key and h.status = 'pending' and not h.held and h.order_seq < d.order_seq)`,
    ),
  );
  return [...released].length;
}

/** The Standard Webhooks headers: one `v1,` signature per active secret, space-separated. */
export function signedHeaders(messageId: string, secrets: string[], body: string, at: Date): Record<string, string> {
  const signature = secrets.map((s) => new Webhook(s).sign(messageId, at, body)).join(" ");
  return {
    "content-type": "application/json",
    "user-agent": "Sesame-Webhooks/1",
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signature,
  };
}

/** A successful attempt, as `recordDelivered` writes it. */
export interface DeliveredAttempt {
  delivery: Pick<WebhookDeliveryRow, "id" | "endpointId">;
  outcome: Extract<AttemptOutcome, { ok: true }>;
  /** The endpoint was in a failure streak when the delivery was claimed: this success ends it. */
  endpointFailing: boolean;
}

/**
 * Records successful attempts, any number of them in one statement: delivered, with the receiver's
 * answer, the lease released. Then ends the failure streak of those endpoints that were in one.
 * The worker hands it every success that finished while the previous call was writing
 * (`groupWhileBusy`), so a busy worker spends one statement on many deliveries.
 */
export async function recordDelivered(db: AppDeps["db"], delivered: DeliveredAttempt[]): Promise<void> {
  if (delivered.length === 0) return;
  // The receiver's answer is storable text (send.ts: no NUL, no half surrogate pair), so it survives JSON.
  const answers = delivered.map(({ delivery, outcome }) => ({ id: delivery.id, status: outcome.status, body: outcome.body, ms: outcome.durationMs }));
  // One statement: the deliveries (locked in id order, as `setHeld` explains), and the release of
  // what their queues held behind them.
  await db.execute(sql`
    with a as (select * from jsonb_to_recordset(${JSON.stringify(answers)}::jsonb) as a(id uuid, status integer, body text, ms integer)),
    delivered as (
      update webhook_deliveries d
      set status = 'delivered', error = null, delivered_at = now(), lease_until = null,
          response_status = a.status, response_body = a.body, duration_ms = a.ms
      from a
      where d.id = a.id and d.id in (select l.id from webhook_deliveries l where l.id in (select id from a) order by l.id for update)
      returning d.id, d.endpoint_id, d.order_key, d.attempts)
    ${releaseQueuesOf(sql`delivered`)}`);
  const endingStreaks = [...new Set(delivered.filter((d) => d.endpointFailing).map((d) => d.delivery.endpointId))];
  if (endingStreaks.length > 0) {
    // In id order too: two workers ending the same endpoints' streaks at once must not deadlock.
    await db.execute(sql`
      update webhook_endpoints set failing_since = null
      where failing_since is not null
        and id in (select l.id from webhook_endpoints l where l.id in ${endingStreaks} and l.failing_since is not null order by l.id for update)`);
  }
}

/** Thrown inside `recordFailure`'s transaction to undo it: the delivery was no longer pending. */
class AlreadyFinished extends Error {}

/** Records a failed attempt: retry later, or failed for good (and maybe disable the endpoint). */
export async function recordFailure(deps: AppDeps, delivery: WebhookDeliveryRow, outcome: Extract<AttemptOutcome, { ok: false }>, random: () => number): Promise<void> {
  const delay = retryDelayMs(deps.config.webhooks.retryScheduleMs, delivery.attempts, random());
  await transaction(deps, async (tx) => {
    const [endpoint] = await tx
      .update(webhookEndpoints)
      // The streak starts with the failed attempt's own start, comparable with first_attempt_at below.
      .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${(delivery.lastAttemptAt ?? new Date()).toISOString()}::timestamptz)` })
      .where(eq(webhookEndpoints.id, delivery.endpointId))
      .returning();
    // Only a delivery still pending: one another worker finished meanwhile (its lease ran out and it
    // was claimed again) keeps that outcome, and the whole transaction is undone (no streak, no hold).
    // The endpoint's row is still taken first: admins' enables and disables take it first too.
    if (delay !== null) {
      const [retrying] = await tx
        .update(webhookDeliveries)
        .set({
          error: outcome.error,
          responseStatus: outcome.status,
          responseBody: outcome.body,
          durationMs: outcome.durationMs,
          leaseUntil: null,
          nextAttemptAt: sql`now() + ${`${delay} milliseconds`}::interval`,
        })
        .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.status, "pending")))
        .returning({ orderSeq: webhookDeliveries.orderSeq });
      if (!retrying) throw new AlreadyFinished();
      // Its queue cannot go before it: held until it leaves pending (see `releaseQueuesOf`).
      await tx.execute(holdBehind(sql`select ${delivery.endpointId}::uuid as endpoint_id, ${delivery.orderKey}::text as order_key, ${retrying.orderSeq}::bigint as order_seq`));
      return;
    }
    const failed = await tx.execute(sql`
      with failed as (
        update webhook_deliveries
        set status = 'failed', error = ${outcome.error}, response_status = ${outcome.status}, response_body = ${outcome.body},
            duration_ms = ${outcome.durationMs}, lease_until = null
        where id = ${delivery.id} and status = 'pending'
        returning id, endpoint_id, order_key, attempts),
      released as (${releaseQueuesOf(sql`failed`)})
      select count(*)::int as failed from failed`);
    if ((failed[0] as { failed: number } | undefined)?.failed !== 1) throw new AlreadyFinished();
    const firstAttempt = delivery.firstAttemptAt ?? delivery.lastAttemptAt;
    if (endpoint && endpoint.enabled && endpoint.failingSince && firstAttempt && endpoint.failingSince <= firstAttempt) {
      const reason = `Disabled after failing every attempt since ${endpoint.failingSince.toISOString()}: delivery ${delivery.id} failed ${delivery.attempts} times (last: ${outcome.error})`;
      await tx.update(webhookEndpoints).set({ enabled: false, disabledAt: sql`now()`, disabledReason: reason }).where(eq(webhookEndpoints.id, endpoint.id));
      await holdBacklog(tx, endpoint.id, true);
      await recordEvent(tx, { tenantId: endpoint.tenantId, type: "webhook.disabled", actor: { kind: "system", id: null }, data: { webhookId: endpoint.id, reason } }, deps.now());
    }
  }).catch((error: unknown) => {
    if (!(error instanceof AlreadyFinished)) throw error;
  });
}

/** Runs the worker until stopped: claims as capacity frees up, polls when idle. */
export function startWebhookWorker(appDeps: AppDeps, options: WebhookWorkerOptions = {}): { stop(): Promise<void>; wake(): void } {
  const deps = options.db ? { ...appDeps, db: options.db } : appDeps;
  const concurrency = options.concurrency ?? 32;
  const pollMs = options.pollMs ?? 200;
  const random = options.random ?? Math.random;
  const sender = options.sender ?? createWebhookSender(deps.config.webhooks);
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let claiming: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const recordSuccess = groupWhileBusy((delivered: DeliveredAttempt[]) => recordDelivered(deps.db, delivered));
  const deliver = async (c: Claimed) => {
    const outcome: AttemptOutcome = Array.isArray(c.secrets)
      ? await sender.send({ url: c.url, headers: signedHeaders(c.delivery.eventId, c.secrets, c.body, deps.now()), body: c.body })
      : { ok: false, status: null, body: null, error: c.secrets.error, durationMs: 0 };
    if (outcome.ok) await recordSuccess({ delivery: c.delivery, outcome, endpointFailing: c.endpointFailing });
    else await recordFailure(deps, c.delivery, outcome, random);
  };

  const pass = () => {
    if (stopped || claiming) return;
    claiming = claimAndStart().finally(() => (claiming = null));
  };

  const claimAndStart = async () => {
    let claimedAny = false;
    try {
      const claimed = await claimDeliveries(deps, concurrency - inFlight.size, options.leaseMs);
      claimedAny = claimed.length > 0;
      for (const c of claimed) {
        const p: Promise<void> = deliver(c)
          .catch((error) => deps.logger.error({ err: error, deliveryId: c.delivery.id }, "webhook delivery failed to record; its lease will run out and it is retried"))
          .finally(() => {
            inFlight.delete(p);
            // Claim again once half the slots are free: one claim for many deliveries under load,
            // and at once when the worker is nearly idle (fewer than half in flight).
            if (inFlight.size <= concurrency / 2) schedule(0);
          });
        inFlight.add(p);
      }
    } catch (error) {
      deps.logger.warn({ err: error }, "webhook worker could not claim deliveries");
    }
    schedule(claimedAny && inFlight.size < concurrency ? 0 : pollMs);
  };

  function schedule(ms: number) {
    if (stopped) return;
    if (timer) {
      if (ms > 0) return;
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = null;
      pass();
    }, ms);
    timer.unref?.();
  }

  const arrivals = setInterval(() => {
    holdArrivals(deps.db).catch((error: unknown) => deps.logger.warn({ err: error }, "could not hold webhook deliveries queued behind waiting heads"));
  }, HOLD_ARRIVALS_EVERY_MS);
  arrivals.unref?.();

  const pruner = setInterval(() => {
    deps.db
      .execute(sql`delete from webhook_deliveries where status <> 'pending' and created_at < now() - ${`${DELIVERY_RETENTION_DAYS} days`}::interval`)
      .catch((error: unknown) => deps.logger.warn({ err: error }, "could not prune old webhook deliveries"));
    releaseStrandedDeliveries(deps.db).then(
      (released) => {
        if (released > 0) deps.logger.warn({ released }, "released webhook deliveries held with nothing to wait for (a bug: please report it)");
      },
      (error: unknown) => deps.logger.warn({ err: error }, "could not look for stranded webhook deliveries"),
    );
  }, PRUNE_EVERY_MS);
  pruner.unref?.();

  schedule(0);
  return {
    wake: () => schedule(0),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(pruner);
      clearInterval(arrivals);
      // A claim under way still starts what it claimed; wait for that, then for every delivery.
      await claiming;
      await Promise.allSettled([...inFlight]);
      if (!options.sender) await sender.close();
    },
  };
}
