/**
 * A dependency outage is a 503 with Retry-After, never a 429 or a 500: the API with its cache on
 * a dead port, and with a database that refuses connections, called over HTTP.
 */
import { randomBytes } from "node:crypto";
import { INTROSPECTION_PATH } from "@sesame/core";
import { closedPort } from "@sesame/dev-services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTAGE_RETRY_AFTER_SECONDS } from "../src/lib/errors.ts";
import { startApi, uniqueTenantCode, type ApiHarness } from "./harness.ts";

interface TrpcErrorBody {
  error: { message: string; data: { code: string; httpStatus: number; retryAfterSeconds?: number } };
}

async function postTrpc(api: ApiHarness, path: string, input: unknown, authorization?: string) {
  const res = await fetch(`${api.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization: `Bearer ${authorization}` } : {}) },
    body: JSON.stringify(input),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as TrpcErrorBody };
}

function expectOutage(answer: Awaited<ReturnType<typeof postTrpc>>, dependency: "cache" | "database") {
  expect(answer.status).toBe(503);
  expect(answer.retryAfter).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
  expect(answer.body.error.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", httpStatus: 503, retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS });
  expect(answer.body.error.message).toBe(`Service temporarily unavailable (${dependency}); try again in ${OUTAGE_RETRY_AFTER_SECONDS} seconds`);
}

describe("with the cache down", () => {
  let api: ApiHarness;
  beforeAll(async () => {
    const port = await closedPort();
    api = await startApi({ config: { cache: { kind: "upstash", url: `http://127.0.0.1:${port}`, token: "dead", prefix: "dead:", timeoutMs: 200 } } });
  });
  afterAll(async () => api?.stop());

  it("answers auth.login with 503 SERVICE_UNAVAILABLE and Retry-After, not a 429", async () => {
    expectOutage(await postTrpc(api, "auth.login", { tenant: "ACME", identifier: "ada", password: "whatever" }), "cache");
  });

  it("answers auth.enroll with 503 SERVICE_UNAVAILABLE and Retry-After, not a 429", async () => {
    expectOutage(await postTrpc(api, "auth.enroll", { tenant: "ACME", token: "12345678" }), "cache");
  });

  it("reports the cache as unavailable in /readyz, by name only", async () => {
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", checks: { database: "ok", cache: "unavailable" } });
  });
});

describe("with the cache down over TCP Redis (the limiter used when only REDIS_URL is set)", () => {
  let api: ApiHarness;
  beforeAll(async () => {
    const port = await closedPort();
    api = await startApi({ config: { cache: { kind: "tcp", url: `redis://127.0.0.1:${port}`, prefix: "dead:", timeoutMs: 200 } } });
  });
  afterAll(async () => api?.stop());

  it("answers auth.login with 503 and Retry-After, not a 429", async () => {
    expectOutage(await postTrpc(api, "auth.login", { tenant: "ACME", identifier: "ada", password: "whatever" }), "cache");
  });
});

describe("with the database refusing connections", () => {
  let api: ApiHarness;
  let rootKey: string;
  beforeAll(async () => {
    const port = await closedPort();
    api = await startApi({ config: { database: { url: `postgres://postgres@127.0.0.1:${port}/postgres`, embedded: false, poolMax: 2 } } });
    rootKey = api.config.rootKey;
  });
  afterAll(async () => api?.stop());

  it("answers an admin call with 503 and Retry-After, not a 500", async () => {
    expectOutage(await postTrpc(api, "tenants.get", undefined, `sk_${randomBytes(32).toString("base64url")}`), "database");
  });

  it("answers a root write with 503 and Retry-After", async () => {
    expectOutage(await postTrpc(api, "tenants.create", { code: uniqueTenantCode(), name: "Outage" }, rootKey), "database");
  });

  it("answers a batched request with 503 for each call", async () => {
    const res = await fetch(`${api.url}/trpc/tenants.get,tenants.get?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer sk_${randomBytes(32).toString("base64url")}` },
      body: "{}",
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
    const answers = (await res.json()) as TrpcErrorBody[];
    expect(answers.map((a) => a.error.data.code)).toEqual(["SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"]);
  });

  it("answers the edge's introspection with 503 and Retry-After", async () => {
    const res = await fetch(`${api.url}${INTROSPECTION_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.config.introspectionSecret}` },
      body: JSON.stringify({ sessionId: crypto.randomUUID() }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe(String(OUTAGE_RETRY_AFTER_SECONDS));
  });

  it("reports the database as unavailable in /readyz without the driver's error text", async () => {
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ status: "unavailable", checks: { database: "unavailable", cache: "ok" } });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });
});
