/** Where webhooks may go (README "Webhooks" › Safety), against real local HTTP servers. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookSender, MAX_RESPONSE_BYTES, STORED_RESPONSE_CHARS } from "../src/services/webhooks/send.ts";
import { failureOf } from "./admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

const servers: Server[] = [];
let hits: string[] = [];
let streamed = 0;

function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

let target: string;
let redirecting: string;
let bigBody: string;
let silent: string;
beforeAll(async () => {
  target = await serve((req, res) => {
    hits.push(req.url ?? "");
    res.writeHead(200).end("ok");
  });
  redirecting = await serve((_req, res) => res.writeHead(302, { location: `${target}/after-redirect` }).end());
  bigBody = await serve((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    // 32 MiB in 64 KiB chunks, counting what the socket accepted.
    const chunk = Buffer.alloc(64 * 1024, "a");
    let left = 512;
    const push = () => {
      while (left > 0) {
        left -= 1;
        streamed += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", push);
      }
      res.end();
    };
    push();
  });
  silent = await serve(() => {
    // never answers
  });
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const request = (url: string) => ({ url, headers: { "content-type": "application/json" }, body: "{}" });

describe("the sender", () => {
  const strict = createWebhookSender({ allowPrivate: false, httpsOnly: false });
  const open = createWebhookSender({ allowPrivate: true, httpsOnly: false }, { timeoutMs: 300 });
  afterAll(async () => {
    await strict.close();
    await open.close();
  });

  it("refuses a loopback address given literally, and sends nothing", async () => {
    hits = [];
    const outcome = await strict.send(request(`${target}/literal`));
    expect(outcome).toMatchObject({ ok: false, status: null, error: "refused: 127.0.0.1 is a loopback address; webhooks go to public addresses only" });
    expect(hits).toEqual([]);
  });

  it("refuses a name that resolves to loopback, checked after DNS resolution", async () => {
    hits = [];
    const outcome = await strict.send(request(`${target.replace("127.0.0.1", "localhost")}/by-name`));
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1) is a loopback address/);
    expect(hits).toEqual([]);
  });

  it("sends only to https: in production", async () => {
    const production = createWebhookSender({ allowPrivate: true, httpsOnly: true });
    hits = [];
    expect(await production.send(request(`${target}/plain-http`))).toMatchObject({ ok: false, error: "refused: only https: targets are allowed" });
    expect(hits).toEqual([]);
    await production.close();
  });

  it("reaches loopback with SESAME_WEBHOOKS_ALLOW_PRIVATE", async () => {
    hits = [];
    expect(await open.send(request(`${target}/allowed`))).toMatchObject({ ok: true, status: 200, body: "ok" });
    expect(hits).toEqual(["/allowed"]);
  });

  it("never follows a redirect: a 3xx is a failed attempt", async () => {
    hits = [];
    const outcome = await open.send(request(`${redirecting}/start`));
    expect(outcome).toMatchObject({ ok: false, status: 302, error: "redirect (HTTP 302) not followed" });
    expect(hits).toEqual([]);
  });

  it("reads at most a few KiB of the answer and keeps 1 KiB", async () => {
    streamed = 0;
    const sender = createWebhookSender({ allowPrivate: true, httpsOnly: false });
    const outcome = await sender.send(request(bigBody));
    await sender.close();
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(outcome.body).toHaveLength(STORED_RESPONSE_CHARS);
    // The receiver could not push all 32 MiB: the sender stopped reading and dropped the connection.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(streamed).toBeLessThan(32 * 1024 * 1024);
    expect(MAX_RESPONSE_BYTES).toBe(4096);
  });

  it("gives up on a receiver that does not answer in time", async () => {
    const outcome = await open.send(request(silent));
    expect(outcome).toMatchObject({ ok: false, status: null, error: "timed out after 300 ms" });
  });
});

describe("webhooks.create and update", () => {
  let strictApi: ApiHarness;
  beforeAll(async () => {
    strictApi = await startApi({ config: { webhooks: { allowPrivate: false, httpsOnly: false, retryScheduleMs: [100] } } });
  });
  afterAll(async () => {
    await strictApi?.stop();
  });

  it.each(["http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[::1]/x", "http://localhost/x"])(
    "refuses %s without SESAME_WEBHOOKS_ALLOW_PRIVATE",
    async (url) => {
      const { admin } = await createTenantWithAdmin(strictApi);
      expect(await failureOf(admin.webhooks.create.mutate({ url }))).toEqual({ code: "BAD_REQUEST", field: "url" });
    },
  );

  it("refuses the same on update", async () => {
    const { admin } = await createTenantWithAdmin(strictApi);
    const { webhook } = await admin.webhooks.create.mutate({ url: "https://hooks.example.com/x" });
    expect(await failureOf(admin.webhooks.update.mutate({ webhookId: webhook.id, url: "http://192.168.0.10/x" }))).toEqual({ code: "BAD_REQUEST", field: "url" });
  });

});
