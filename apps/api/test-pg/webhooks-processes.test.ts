/**
 * Webhook workers in separate processes on one Postgres (real Postgres only: embedded PGlite serves
 * one connection). Run by `npm run test:webhooks` (and .ci/run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startWebhookWorker } from "../src/services/webhooks/worker.ts";
import { newUser } from "../test/admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "../test/harness.ts";
import { startReceiver, type Receiver } from "../test/webhook-receiver.ts";

const WORKER = fileURLToPath(new URL("./worker-process.ts", import.meta.url));
const SCHEDULE_MS = [200, 400, 800, 1600];

let api: ApiHarness;
const children: ChildProcess[] = [];
const receivers: Receiver[] = [];
beforeAll(async () => {
  // No worker in this process unless a test starts one.
  api = await startApi({ config: { webhooks: { allowPrivate: true, httpsOnly: false, retryScheduleMs: SCHEDULE_MS } } });
});
afterAll(async () => api?.stop());
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const r of receivers.splice(0)) await r.close();
});

/** Starts a worker process; resolves once it said "ready". `output()` is what it printed. */
async function spawnWorker(leaseMs: number) {
  const spec = { backends: inject("sesameBackends"), encryptionKey: Buffer.from(api.config.encryptionKey).toString("base64"), leaseMs, scheduleMs: SCHEDULE_MS };
  // One node process with tsx's loader in it, not the tsx CLI: the CLI runs the script in a second
  // process and relays SIGTERM to it with a 30 ms deadline, after which it SIGKILLs the script, so
  // on a busy machine the worker's SIGTERM handler never ran and stop() waited forever.
  // @sesame/source: the workspace packages from their sources, as every script in the repo reads them.
  const child = spawn(process.execPath, ["--conditions=@sesame/source", "--import", "tsx", WORKER], { env: { ...process.env, SESAME_TEST_WORKER: JSON.stringify(spec) }, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (/^ready$/m.test(out)) {
        clearInterval(check);
        resolve();
      }
    }, 20);
    child.once("exit", (code) => {
      clearInterval(check);
      reject(new Error(`worker process exited with ${code} before it was ready`));
    });
  });
  return {
    child,
    /** Whether it is still running, and what it printed: for a failure's message. */
    describe: () => `worker ${child.exitCode === null && child.signalCode === null ? "running" : `exited (${child.exitCode ?? child.signalCode})`}; it printed: ${out.slice(-2000) || "(nothing)"}`,
    /** Stops it with SIGTERM and returns how many deliveries it made. */
    async stop(): Promise<number> {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      return Number(/delivered=(\d+)/.exec(out)?.[1] ?? Number.NaN);
    },
  };
}

async function tenantWithReceiver(respond?: NonNullable<Parameters<typeof startReceiver>[0]>["respond"]) {
  const tenant = await createTenantWithAdmin(api);
  const r = await startReceiver({ respond });
  receivers.push(r);
  const { webhook, secret } = await tenant.admin.webhooks.create.mutate({ url: r.url });
  r.setSecrets([secret]);
  return { ...tenant, webhook, receiver: r };
}

describe("webhook workers in several processes", () => {
  it("check: this suite runs on real Postgres", () => {
    expect(inject("sesameBackends").description.postgres).toBe("real");
  });

  it("two worker processes on one database never deliver the same attempt twice", async () => {
    const { admin, receiver: r } = await tenantWithReceiver();
    const a = await spawnWorker(60_000);
    const b = await spawnWorker(60_000);
    const users = await Promise.all(Array.from({ length: 20 }, () => newUser(admin)));
    await Promise.all(users.map(async (u) => {
      for (let i = 0; i < 9; i++) await admin.users.update.mutate({ userId: u.id, firstName: `v${i}` });
    }));
    const expected = 1 + users.length * 10; // webhook.created, then user.created and 9 updates each
    await r.waitFor((got) => got.length >= expected, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}; a: ${a.describe()}; b: ${b.describe()}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate would arrive by now
    const [byA, byB] = [await a.stop(), await b.stop()];
    expect(r.received).toHaveLength(expected);
    expect(new Set(r.received.map((g) => g.id)).size).toBe(expected);
    expect(r.received.every((g) => g.verifiedBy === 0 && g.status === 200)).toBe(true);
    // Both processes took part, and between them made exactly the deliveries received.
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    expect(byA + byB).toBe(expected);
    // And per user, the order held across the two processes.
    for (const u of users) {
      const mine = r.received.filter((g) => g.payload.data.userId === u.id).map((g) => g.payload.data.type + ":" + String(g.payload.data.data.fields ?? ""));
      expect(mine[0]).toBe("user.created:");
      expect(mine).toHaveLength(10);
    }
    for (const u of users) {
      const { objects } = await admin.events.list.query({ userId: u.id });
      expect(r.received.filter((g) => g.payload.data.userId === u.id).map((g) => g.id)).toEqual([...objects].reverse().map((e) => e.id));
    }
  });

  it("a worker process killed mid-delivery loses nothing: another takes over when its lease ends", async () => {
    // While the doomed process runs, the receiver holds every request open, so it is killed with
    // deliveries in flight and none of them answered: each must then be delivered exactly once more.
    let doomedPhase = true;
    const { admin, webhook, receiver: r } = await tenantWithReceiver(() => (doomedPhase ? "hang" : 200));
    const doomed = await spawnWorker(1500);
    const users = await Promise.all(Array.from({ length: 5 }, () => newUser(admin)));
    await r.waitFor((got) => got.some((g) => g.payload.type === "user.created"), 20_000).catch((error: Error) => {
      throw new Error(`${error.message}; ${doomed.describe()}`);
    });
    doomed.child.kill("SIGKILL");
    await new Promise((resolve) => doomed.child.once("exit", resolve));
    doomedPhase = false;
    const held = new Set(r.received.map((g) => g.id));

    const survivor = startWebhookWorker(api.deps, { leaseMs: 1500, pollMs: 50 });
    try {
      await r.waitFor(() => users.every((u) => r.accepted().some((g) => g.payload.data.userId === u.id)), 30_000);
    } finally {
      await survivor.stop();
    }
    const page = await admin.webhooks.deliveries.query({ endpointId: webhook.id, limit: 200 });
    expect(page.objects.filter((d) => d.status !== "delivered")).toEqual([]);
    expect(page.objects).toHaveLength(1 + users.length); // webhook.created and one user.created each
    for (const id of held) {
      // An attempt in flight when the process died was made again, under the same webhook-id.
      expect(r.accepted().filter((g) => g.id === id)).toHaveLength(1);
      expect(page.objects.find((d) => d.eventId === id)!.attempts).toBe(2);
    }
    expect(new Set(r.accepted().map((g) => g.id)).size).toBe(r.accepted().length);
    expect(r.accepted()).toHaveLength(1 + users.length);
  });
});
