/**
 * `GET /metrics`: off without SESAME_METRICS_TOKEN, refused without the token, and counters that
 * move with real traffic (requests by route and status, introspections, rate-limit refusals,
 * 503s, the outbox backlog) on real Postgres and the cache.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { INTROSPECTION_PATH } from "@sesame/core";
import { closedPort } from "@sesame/dev-services";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

const METRICS_TOKEN = randomBytes(32).toString("base64url");

async function scrape(api: ApiHarness): Promise<string> {
  const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/** The value of one series, e.g. `sesame_api_requests_total{route="trpc:tenants.get",method="POST",status="200"}`; 0 when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split(" ")[0] ?? "";
    if (wanted.every((pair) => labelText.includes(pair))) total += Number(line.split(" ").at(-1));
  }
  return total;
}

describe("/metrics", () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ config: { metricsToken: METRICS_TOKEN } });
  });
  afterAll(async () => api?.stop());

  it("refuses a scrape without the token or with a wrong one", async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${randomBytes(32).toString("base64url")}` } });
    expect(wrong.status).toBe(401);
  });

  it("counts requests by procedure and status", async () => {
    const before = await scrape(api);
    const { admin } = await createTenantWithAdmin(api);
    await admin.tenants.get.query();
    await admin.tenants.get.query();
    await api.admin(`sk_${randomBytes(32).toString("base64url")}`).tenants.get.query().catch(() => null);
    const after = await scrape(api);
    const ok = { route: "trpc:tenants.get", status: "200" };
    expect(value(after, "sesame_api_requests_total", ok) - value(before, "sesame_api_requests_total", ok)).toBe(2);
    const refused = { route: "trpc:tenants.get", status: "401" };
    expect(value(after, "sesame_api_requests_total", refused) - value(before, "sesame_api_requests_total", refused)).toBe(1);
    expect(value(after, "sesame_api_request_duration_seconds_count", { route: "trpc:tenants.get" })).toBeGreaterThanOrEqual(3);
  });

  it("labels unknown paths and procedures without echoing them", async () => {
    const path = `nope${randomBytes(4).toString("hex")}`;
    await fetch(`${api.url}/${path}`);
    await fetch(`${api.url}/trpc/${path}`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    const text = await scrape(api);
    expect(text).not.toContain(path);
    expect(value(text, "sesame_api_requests_total", { route: "unmatched", status: "404" })).toBeGreaterThanOrEqual(1);
    expect(value(text, "sesame_api_requests_total", { route: "trpc:unknown", status: "404" })).toBeGreaterThanOrEqual(1);
  });

  it("counts introspections by result", async () => {
    const before = value(await scrape(api), "sesame_api_introspections_total", { result: "session_not_found" });
    const res = await fetch(`${api.url}${INTROSPECTION_PATH}`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.config.introspectionSecret}`, "content-type": "application/json" },
      body: JSON.stringify({ sessionId: randomUUID() }),
    });
    expect(res.status).toBe(200);
    expect(value(await scrape(api), "sesame_api_introspections_total", { result: "session_not_found" }) - before).toBe(1);
  });

  it("counts rate-limit refusals by the kind of limit, never the key", async () => {
    const { tenant } = await createTenantWithAdmin(api);
    const ip = `198.18.${randomBytes(1)[0]}.${(randomBytes(1)[0]! % 250) + 1}`;
    const client = (await import("@sesame/client")).createSesameClient({ url: api.url, headers: { "x-forwarded-for": ip } });
    const identifier = `nobody-${randomBytes(4).toString("hex")}`;
    const before = value(await scrape(api), "sesame_api_rate_limit_refusals_total", { limit: "login:acct-src" });
    // login_account_source allows 10 guesses per 15 minutes: the 11th is refused.
    for (let i = 0; i < 11; i++) await client.auth.login.mutate({ tenant: tenant.code, identifier, password: "wrong password" }).catch(() => null);
    const text = await scrape(api);
    expect(value(text, "sesame_api_rate_limit_refusals_total", { limit: "login:acct-src" }) - before).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(identifier);
  });

  it("reports the outbox backlog and the age of its oldest entry", async () => {
    const sessionId = randomUUID();
    await api.deps.db.execute(sql`insert into cache_outbox (session_id, entry, created_at) values (${sessionId}, 'x', now() - interval '90 seconds')`);
    try {
      const text = await scrape(api);
      expect(value(text, "sesame_api_outbox_pending")).toBeGreaterThanOrEqual(1);
      expect(value(text, "sesame_api_outbox_oldest_age_seconds")).toBeGreaterThanOrEqual(90);
    } finally {
      await api.deps.db.execute(sql`delete from cache_outbox where session_id = ${sessionId}`);
    }
  });
});

describe("/metrics with the cache down", () => {
  let api: ApiHarness;
  beforeAll(async () => {
    const port = await closedPort();
    api = await startApi({ config: { metricsToken: METRICS_TOKEN, cache: { kind: "upstash", url: `http://127.0.0.1:${port}`, token: "dead", prefix: "dead:", timeoutMs: 200 } } });
  });
  afterAll(async () => api?.stop());

  it("counts 503 answers by route", async () => {
    const res = await fetch(`${api.url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant: "ACME", identifier: "ada", password: "whatever" }),
    });
    expect(res.status).toBe(503);
    const text = await scrape(api);
    expect(value(text, "sesame_api_unavailable_total", { route: "trpc:auth.login" })).toBe(1);
    expect(value(text, "sesame_api_requests_total", { route: "trpc:auth.login", status: "503" })).toBe(1);
  });
});

describe("/metrics without SESAME_METRICS_TOKEN", () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => api?.stop());

  it("is off: 404, whatever the caller sends", async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${api.url}/metrics`, { headers: { authorization: "Bearer anything" } })).status).toBe(404);
  });
});
