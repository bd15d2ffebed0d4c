/**
 * A second API process's webhook worker, for test-pg: the same createDeps and startWebhookWorker as
 * main.ts, on the run's database. Config comes as JSON in SESAME_TEST_WORKER (backends, the
 * encryption key the test API uses, lease). Prints "ready", and on SIGTERM "delivered=<n>".
 */
import type { SesameBackends } from "@sesame/dev-services";
import { createDeps } from "../src/create-deps.ts";
import { createWebhookSender } from "../src/services/webhooks/send.ts";
import { startWebhookWorker } from "../src/services/webhooks/worker.ts";
import { testConfig } from "../test/harness.ts";

const spec = JSON.parse(process.env.SESAME_TEST_WORKER ?? "{}") as { backends: SesameBackends; encryptionKey: string; leaseMs: number; scheduleMs: number[] };
const config = testConfig(
  // Warnings (a failed claim, an outcome not recorded) go to stdout, which the test shows on a failure.
  { logLevel: "warn", encryptionKey: new Uint8Array(Buffer.from(spec.encryptionKey, "base64")), webhooks: { allowPrivate: true, httpsOnly: false, retryScheduleMs: spec.scheduleMs } },
  spec.backends,
);
const deps = await createDeps(config);
const real = createWebhookSender(config.webhooks);
let delivered = 0;
const worker = startWebhookWorker(deps, {
  leaseMs: spec.leaseMs,
  pollMs: 50,
  sender: {
    async send(req) {
      const outcome = await real.send(req);
      if (outcome.ok) delivered += 1;
      return outcome;
    },
    close: () => real.close(),
  },
});
// main.ts's HTTP server keeps its process up; this one has none, and the worker's own timers are
// unref'd (they must not hold a stopping API open), so without this the process could end quietly
// whenever no query is in flight.
const keepAlive = setInterval(() => undefined, 60_000);
process.on("SIGTERM", async () => {
  clearInterval(keepAlive);
  await worker.stop();
  await real.close();
  await deps.close();
  process.stdout.write(`delivered=${delivered}\n`);
  process.exit(0);
});
process.stdout.write("ready\n");
