/**
 * Limits on what one HTTP request may cost the API, tried over HTTP as an attacker would: body
 * size (by Content-Length and streamed), tRPC batch size, authentication once per request, and
 * inputs refused in GET URLs.
 */
import { request as httpRequest } from "node:http";
import { randomBytes } from "node:crypto";
import { INTROSPECTION_PATH } from "@sesame/core";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_BATCH_SIZE } from "../src/app.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../src/env.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
const statements: string[] = [];
beforeAll(async () => {
  api = await startApi({ onQuery: (statement) => statements.push(statement) });
  // Open the pool's connection now, so its one-off setup query is not counted against a request.
  await api.deps.db.execute(sql`select 1`);
});
afterAll(async () => api?.stop());
beforeEach(() => {
  statements.length = 0;
});

const madeUpKey = () => `sk_${randomBytes(32).toString("base64url")}`;

/** tRPC's error envelope, as every error of the API comes. */
interface TrpcErrorBody {
  error: { message: string; code: number; data: { code: string; httpStatus: number; field?: string | null } };
}

/** POSTs a body that is streamed in chunks without a Content-Length (Transfer-Encoding: chunked). */
function postStreamed(url: string, totalBytes: number, chunkBytes = 64 * 1024): Promise<Response> {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const size = Math.min(chunkBytes, totalBytes - sent);
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
}

/**
 * POSTs with `Expect: 100-continue` (what curl sends for bodies over 1 MiB): sends the body (spaces)
 * only when the server says `100 Continue`, and reports whether it did and the final answer.
 */
function postExpectingContinue(path: string, length: number, headers: Record<string, string> = {}): Promise<{ continued: boolean; status: number; body: string }> {
  const { port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path, headers: { "content-type": "application/json", ...headers, "content-length": String(length), expect: "100-continue" } });
    req.on("continue", () => {
      continued = true;
      req.end(Buffer.alloc(length, 0x20));
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => {
        req.destroy();
        resolve({ continued, status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}

describe("request body limit", () => {
  it("answers 413 on Content-Length alone, before any of the body is sent", async () => {
    const { port } = new URL(api.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/trpc/auth.login",
        headers: { "content-type": "application/json", "content-length": String(100 * 1024 * 1024) },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on("error", reject);
      // Headers only: the 100 MB the header announces never come.
      req.flushHeaders();
    });
    expect(answer.status).toBe(413);
    const body = JSON.parse(answer.body) as TrpcErrorBody;
    expect(body.error.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413, path: "auth.login" });
    expect(body.error.message).toBe(`Request body larger than ${DEFAULT_MAX_BODY_BYTES} bytes`);
  });

  it("answers `Expect: 100-continue` with an oversized Content-Length by its 413, never `100 Continue`", async () => {
    const answer = await postExpectingContinue("/trpc/auth.login", DEFAULT_MAX_BODY_BYTES + 1);
    expect(answer).toMatchObject({ continued: false, status: 413 });
    expect((JSON.parse(answer.body) as TrpcErrorBody).error.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
  });

  it("tells a client within the limit to go on, and reads its body", async () => {
    const answer = await postExpectingContinue("/trpc/auth.login", 1024);
    // Whitespace padding: the call reaches the procedure, which refuses the empty input.
    expect(answer).toMatchObject({ continued: true, status: 400 });
  });

  it("tells a client of the streamed import to go on past the general limit (it has limits of its own)", async () => {
    const answer = await postExpectingContinue("/v1/users/import", DEFAULT_MAX_BODY_BYTES + 1, { "content-type": "application/x-ndjson" });
    expect(answer.continued).toBe(true);
    expect(answer.status).toBe(401); // no API key: refused, but only after it was told to send the body
  });

  it("a client that sends an oversized body whole, without asking first (and reads while it sends, as Node does), gets the 413", async () => {
    const { port } = new URL(api.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const length = 3 * DEFAULT_MAX_BODY_BYTES;
      const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/v1/users", headers: { "content-type": "application/json", "content-length": String(length) } });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end(Buffer.alloc(length, 0x20));
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  it("counts a streamed body without Content-Length and answers 413 once it passes the limit", async () => {
    const res = await postStreamed(`${api.url}/trpc/auth.login`, DEFAULT_MAX_BODY_BYTES + 1);
    expect(res.status).toBe(413);
    const body = (await res.json()) as TrpcErrorBody;
    expect(body.error.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
  });

  it("reads a streamed body up to the limit as usual", async () => {
    // Whitespace is valid JSON padding: the call reaches the procedure, which refuses the empty input.
    const res = await postStreamed(`${api.url}/trpc/auth.login`, DEFAULT_MAX_BODY_BYTES);
    expect(res.status).toBe(400);
    expect(((await res.json()) as TrpcErrorBody).error.data.code).toBe("BAD_REQUEST");
  });

  it("limits the introspection endpoint too, in its own error shape", async () => {
    const res = await fetch(`${api.url}${INTROSPECTION_PATH}`, { method: "POST", body: "x".repeat(DEFAULT_MAX_BODY_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "payload_too_large", message: `Request body larger than ${DEFAULT_MAX_BODY_BYTES} bytes` });
  });
});

describe("tRPC batches", () => {
  const batchUrl = (size: number, path = "tenants.get") => `${api.url}/trpc/${Array.from({ length: size }, () => path).join(",")}?batch=1`;

  it(`refuses a batch of more than ${MAX_BATCH_SIZE} calls with 400, before looking at the caller`, async () => {
    const res = await fetch(batchUrl(MAX_BATCH_SIZE + 1), { method: "POST", headers: { authorization: `Bearer ${madeUpKey()}`, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as TrpcErrorBody | TrpcErrorBody[];
    const first = Array.isArray(body) ? body[0]! : body;
    expect(first.error.data.code).toBe("BAD_REQUEST");
    expect(first.error.message).toMatch(/batch/i);
    expect(statements).toEqual([]);
  });

  it("authenticates a batch once: a full batch with a made-up API key costs one database lookup", async () => {
    const res = await fetch(batchUrl(MAX_BATCH_SIZE), { method: "POST", headers: { authorization: `Bearer ${madeUpKey()}`, "content-type": "application/json" }, body: "{}" });
    const answers = (await res.json()) as TrpcErrorBody[];
    expect(answers).toHaveLength(MAX_BATCH_SIZE);
    expect(answers.every((a) => a.error.data.code === "UNAUTHORIZED")).toBe(true);
    expect(statements.filter((s) => /\bapi_keys\b/.test(s))).toHaveLength(1);
    expect(statements).toHaveLength(1);
  });

  it("authenticates a batch with a valid API key once as well", async () => {
    const { key } = await createTenantWithAdmin(api);
    statements.length = 0;
    const res = await fetch(batchUrl(10), { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" });
    const answers = (await res.json()) as { result?: { data: { id: string } } }[];
    expect(answers.every((a) => a.result?.data.id)).toBe(true);
    expect(statements.filter((s) => /from "api_keys"/.test(s))).toHaveLength(1);
  });

  it("lets the typed client make more concurrent calls than one batch holds (it splits them)", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const tenants = await Promise.all(Array.from({ length: MAX_BATCH_SIZE * 2 + 1 }, () => admin.tenants.get.query()));
    expect(new Set(tenants.map((t) => t.id)).size).toBe(1);
  });
});

describe("inputs in URLs", () => {
  it("refuses sessions.get with a refresh token in a GET URL, telling the caller to POST", async () => {
    const { key } = await createTenantWithAdmin(api);
    const input = encodeURIComponent(JSON.stringify({ userId: crypto.randomUUID(), token: `rt_${randomBytes(32).toString("base64url")}` }));
    const res = await fetch(`${api.url}/trpc/sessions.get?input=${input}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    const body = (await res.json()) as TrpcErrorBody;
    expect(body.error.data).toMatchObject({ code: "METHOD_NOT_SUPPORTED", httpStatus: 405, path: "sessions.get" });
    expect(body.error.message).toMatch(/POST/);
    expect(statements).toEqual(expect.not.arrayContaining([expect.stringMatching(/from "sessions"/)]));
  });

  it("refuses a batched GET with inputs the same way", async () => {
    const input = encodeURIComponent(JSON.stringify({ 0: { userId: crypto.randomUUID(), token: "rt_x" } }));
    const res = await fetch(`${api.url}/trpc/sessions.get?batch=1&input=${input}`);
    expect(res.status).toBe(405);
  });

  it("refuses it even when the path cannot be decoded (400-class, never a 500)", async () => {
    const res = await fetch(`${api.url}/trpc/%zz?input=%7B%7D`);
    expect(res.status).toBe(405);
  });

  it("still answers a GET query that takes no input", async () => {
    const { key, tenant } = await createTenantWithAdmin(api);
    const res = await fetch(`${api.url}/trpc/tenants.get`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { data: { id: string } } }).result.data.id).toBe(tenant.id);
  });

  it("takes the same query with its input as POST", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const user = await admin.users.create.mutate({ username: `u${randomBytes(4).toString("hex")}` });
    const { refreshToken } = await admin.sessions.create.mutate({ userId: user.id });
    await expect(admin.sessions.get.query({ userId: user.id, token: refreshToken })).resolves.toMatchObject({ userId: user.id });
  });
});
