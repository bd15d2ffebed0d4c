/**
 * Webhook delivery: throughput and the lag from a change to its delivery, against real Postgres
 * and the cache, with a healthy local receiver (node:http, verifying nothing: it only answers 200).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench:webhooks -w @sesame/api
 *
 * Rows, in one run on a throwaway database `sesame_bench_<hex>`:
 * 1. baseline — signed POSTs straight to the receiver with the same sender and concurrency as the
 *    worker, no database: the floor the worker's throughput is a ratio of;
 * 2. throughput — a backlog of BENCH_WEBHOOK_BACKLOG events (written through the events writer, so
 *    queued by the real fan-out) drained by one process's worker, after an ANALYZE of the queue
 *    (BENCH_WEBHOOK_ANALYZE=0 leaves it out: the first minute after a burst, before autovacuum's);
 * 3. lag — BENCH_WEBHOOK_RATE changes/s (default 100) for BENCH_WEBHOOK_SECONDS (default 10),
 *    open loop, the worker running as in main.ts: the time from the event's own timestamp (taken
 *    when its transaction starts, before commit, so the figure errs long) to the receiver seeing
 *    it, p50/p99. Once with changes written straight through the events writer (the webhook path
 *    alone), once with users.update over HTTP (the API, its client and the receiver share this
 *    one process, so on a busy machine that row measures the machine too).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { createSesameClient } from "@sesame/client";
import { sql } from "drizzle-orm";
import { createDb } from "../src/db/client.ts";
import { recordEvents } from "../src/services/events/record-events.ts";
import { createWebhookSender } from "../src/services/webhooks/send.ts";
import { WORKER_POOL_MAX, signedHeaders, startWebhookWorker } from "../src/services/webhooks/worker.ts";
import { uniqueTenantCode } from "../test/harness.ts";
import { withBenchApi } from "./bench-api.ts";

const RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 10);
const BACKLOG = Number(process.env.BENCH_WEBHOOK_BACKLOG ?? 3000);
const USERS = 200;
const CONCURRENCY = 32;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

async function startBenchReceiver() {
  const arrivals = new Map<string, { at: number; timestamp: string }>();
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      count += 1;
      const id = String(req.headers["webhook-id"]);
      if (!arrivals.has(id)) {
        const payload = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { timestamp: string };
        arrivals.set(id, { at, timestamp: payload.timestamp });
      }
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    arrivals,
    count: () => count,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("bench: timed out waiting for deliveries");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main() {
  await withBenchApi(async (api, backends, cleanups) => {
    const receiver = await startBenchReceiver();
    cleanups.unshift(() => receiver.close());
    const { tenant, key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode("W"), name: "Webhook bench" });
    const admin = createSesameClient({ url: api.url, apiKey: key });
    const { webhook, secret } = await admin.webhooks.create.mutate({ url: receiver.url });
    const users = (
      await api.deps.db.execute<{ id: string }>(sql`
        insert into users (tenant_id, username, status)
        select ${tenant.id}::uuid, 'hook-' || g, 'active' from generate_series(1, ${USERS}) g returning id`)
    ).map((r) => r.id);

    // 1. Baseline: the sender alone.
    const sender = createWebhookSender(api.config.webhooks);
    cleanups.unshift(() => sender.close());
    const body = JSON.stringify({ type: "user.updated", timestamp: new Date().toISOString(), data: { id: "x" } });
    let sent = 0;
    const baselineEnds = performance.now() + 3000;
    const baselineStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < baselineEnds) {
          await sender.send({ url: receiver.url, headers: signedHeaders(`msg_${sent}`, [secret], body, new Date()), body });
          sent += 1;
        }
      }),
    );
    const baselinePerSecond = sent / ((performance.now() - baselineStart) / 1000);
    receiver.arrivals.clear();

    // 2. Throughput: a backlog queued by the events writer, then drained.
    const actor = { kind: "admin" as const, id: null };
    for (let i = 0; i < BACKLOG; i += 100) {
      const batch = Array.from({ length: Math.min(100, BACKLOG - i) }, (_, j) => ({ tenantId: tenant.id, type: "user.updated", actor, userId: users[(i + j) % USERS]!, data: { fields: ["firstName"] } }));
      await recordEvents(api.deps.db, batch, new Date());
    }
    const pendingCount = async () => Number((await api.deps.db.execute<{ n: string }>(sql`select count(*)::text as n from webhook_deliveries where status = 'pending' and endpoint_id = ${webhook.id}`))[0]!.n);
    // As autovacuum does within a minute of a burst this size: without statistics Postgres takes
    // the queue for nearly empty and reads all of it on every claim (README, "Webhooks").
    if (process.env.BENCH_WEBHOOK_ANALYZE !== "0") await api.deps.db.execute(sql`analyze webhook_deliveries`);
    const queued = await pendingCount();
    const drainStart = performance.now();
    let worker = startWebhookWorker(api.deps, { concurrency: CONCURRENCY });
    await waitUntil(() => receiver.arrivals.size >= queued, 300_000);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    await worker.stop();
    await waitUntil(async () => (await pendingCount()) === 0, 30_000);
    const throughput = queued / drainSeconds;
    receiver.arrivals.clear();

    // 3. Lag at RATE changes/s, the worker running as main.ts runs it: first changes written by the
    // events writer in their own transactions (the webhook path alone), then users.update over
    // HTTP through the typed client (the whole API in the same process as well).
    const workerPool = createDb({ url: backends.databaseUrl, max: WORKER_POOL_MAX });
    cleanups.unshift(() => workerPool.close());
    worker = startWebhookWorker(api.deps, { db: workerPool.db });
    cleanups.unshift(() => worker.stop());
    const total = RATE * SECONDS;
    const paced = async (change: (i: number) => Promise<unknown>) => {
      receiver.arrivals.clear();
      const writeMs: number[] = [];
      const changes: Promise<unknown>[] = [];
      const start = performance.now();
      let late = 0;
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        else if (wait < -50) late += 1;
        const began = performance.now();
        changes.push(change(i).then(() => writeMs.push(performance.now() - began)));
      }
      await Promise.all(changes);
      const offered = total / ((performance.now() - start) / 1000);
      await waitUntil(() => receiver.arrivals.size >= total, 180_000);
      const lags = [...receiver.arrivals.values()].map((a) => a.at - Date.parse(a.timestamp)).sort((a, b) => a - b);
      writeMs.sort((a, b) => a - b);
      return { offered, late, lags, writeMs };
    };
    const direct = await paced((i) =>
      api.deps.db.transaction((tx) => recordEvents(tx, [{ tenantId: tenant.id, type: "user.updated", actor, userId: users[i % USERS]!, data: { fields: ["firstName"] } }], new Date())),
    );
    const clients = Array.from({ length: 16 }, () => createSesameClient({ url: api.url, apiKey: key }));
    const viaApi = await paced((i) => clients[i % clients.length]!.users.update.mutate({ userId: users[i % USERS]!, firstName: `n${i}` }));
    const duplicates = receiver.count() - sent - queued - 2 * total;
    const lagRow = (name: string, r: typeof direct) => ({
      row: `${name} (offered ${r.offered.toFixed(1)}/s${r.late ? `, ${r.late} sent >50 ms late` : ""})`,
      deliveries: r.lags.length,
      "lag p50 ms": Math.round(pct(r.lags, 0.5)),
      "lag p99 ms": Math.round(pct(r.lags, 0.99)),
      "lag max ms": Math.round(r.lags.at(-1)!),
      "write p50 ms": Number(pct(r.writeMs, 0.5).toFixed(1)),
      "write p99 ms": Number(pct(r.writeMs, 0.99).toFixed(1)),
      "p99 / 1 s target": Number((pct(r.lags, 0.99) / 1000).toFixed(3)),
    });

    console.log(`\nsesame webhooks bench — postgres: real, cache: ${backends.description.cache}, ${USERS} users, one endpoint, local receiver; load average ${loadavg()[0]!.toFixed(1)}`);
    console.table([
      { row: "baseline: signed POSTs, no database", "deliveries/s": Math.round(baselinePerSecond), "× baseline": 1 },
      { row: `worker: drain a backlog of ${queued}`, "deliveries/s": Math.round(throughput), "× baseline": Number((throughput / baselinePerSecond).toFixed(3)) },
    ]);
    console.table([lagRow(`events writer, ${RATE}/s for ${SECONDS}s`, direct), lagRow(`users.update over HTTP, ${RATE}/s for ${SECONDS}s`, viaApi)]);
    console.log(`repeated deliveries (at-least-once retries): ${duplicates}`);
  }, { webhooks: { allowPrivate: true, httpsOnly: false, retryScheduleMs: [1000, 5000] } });
}

await main();
