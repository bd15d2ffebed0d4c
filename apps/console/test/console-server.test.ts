import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiHarness } from "@sesame/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CSRF_HEADER } from "../src/shared/protocol.ts";
import { MAX_TRPC_BODY_BYTES } from "../src/server/app.ts";
import { ORIGIN, SPA_HEADERS, startApiWithTenant, startConsole, type ConsoleUnderTest } from "./console-fixture.ts";

let api: ApiHarness;
let key: string;
let tenant: { id: string; code: string };
let console_: ConsoleUnderTest;

beforeAll(async () => {
  ({ api, key, tenant } = await startApiWithTenant());
  console_ = startConsole(api.url);
});
afterAll(async () => api?.stop());

const cookieAttributes = (setCookie: string) => setCookie.split(";").map((p) => p.trim().toLowerCase());

describe("sign-in", () => {
  it("trades a tenant API key for an HttpOnly, SameSite=Strict session cookie and answers the operator's tenant", async () => {
    const { res, setCookie, body } = await console_.signIn(key);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ session: { role: "operator", tenant: { id: tenant.id, code: tenant.code } } });
    const attributes = cookieAttributes(setCookie!);
    expect(attributes[0]).toMatch(/^sesame_console=[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/"]));
    expect(attributes).not.toContain("secure");
  });

  it("sets a Secure __Host- cookie in production", async () => {
    const production = startConsole(api.url, { production: true });
    const { setCookie, cookie } = await production.signIn(key);
    const attributes = cookieAttributes(setCookie!);
    expect(attributes[0]).toMatch(/^__host-sesame_console=/);
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/", "secure"]));
    expect((await production.trpc(cookie, "tenants.get")).res.status).toBe(200);
  });

  it("signs the root key in for tenant management only", async () => {
    const { body, cookie } = await console_.signIn(api.config.rootKey);
    expect(body).toMatchObject({ session: { role: "root", tenant: null } });
    const listed = await console_.trpc(cookie, "tenants.list");
    expect(listed.res.status).toBe(200);
    expect(listed.item.result?.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: tenant.id })]));
    const refused = await console_.trpc(cookie, "users.list");
    expect(refused.res.status).toBe(403);
    expect(refused.item.error?.data).toMatchObject({ code: "FORBIDDEN", reason: "procedure_not_allowed" });
  });

  it("refuses a key the API does not accept, naming the key field, and starts no session", async () => {
    const before = console_.store.size;
    const { res, setCookie, body } = await console_.signIn(`sk_${"x".repeat(43)}`);
    expect(res.status).toBe(401);
    expect(body).toMatchObject({ error: "invalid_key", field: "key" });
    expect(body.message).toMatch(/does not accept this key/);
    expect(setCookie).toBeNull();
    expect(console_.store.size).toBe(before);
  });

  it("refuses an empty key with a message on the key field", async () => {
    const { res, body } = await console_.signIn("   ");
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ error: "invalid_input", field: "key", message: "Enter a key" });
  });

  it("says the API cannot be reached when it is down, and what to do", async () => {
    const dead = startConsole("http://127.0.0.1:9");
    const { res, body, setCookie } = await dead.signIn(key);
    expect(res.status).toBe(503);
    expect(body).toMatchObject({ error: "api_unreachable", field: null });
    expect(body.message).toMatch(/cannot reach the Sesame API at http:\/\/127\.0\.0\.1:9.*Start it/);
    expect(setCookie).toBeNull();
  });

  it("gives a new session id at every sign-in and ends the browser's previous session", async () => {
    const first = await console_.signIn(key);
    const second = await console_.signIn(key, { ...SPA_HEADERS, cookie: first.cookie! });
    expect(second.cookie).not.toBe(first.cookie);
    const old = await console_.trpc(first.cookie, "tenants.get");
    expect(old.item.error?.data).toMatchObject({ code: "UNAUTHORIZED", reason: "session_expired" });
  });
});

describe("CSRF", () => {
  it("refuses a sign-in without the console's request header and starts no session", async () => {
    const before = console_.store.size;
    const { res, body, setCookie } = await console_.signIn(key, { origin: ORIGIN });
    expect(res.status).toBe(403);
    expect(body).toMatchObject({ error: "csrf" });
    expect(setCookie).toBeNull();
    expect(console_.store.size).toBe(before);
  });

  it("refuses a tRPC call from another origin and does not forward it", async () => {
    const { cookie } = await console_.signIn(key);
    const username = `csrf-${Date.now()}`;
    const forged = await console_.trpc(cookie, "users.create", { username }, { [CSRF_HEADER]: "1", origin: "https://evil.example" });
    expect(forged.res.status).toBe(403);
    expect(forged.item.error?.data).toMatchObject({ code: "FORBIDDEN", reason: "csrf" });
    const found = await api.admin(key).users.list.query({ query: username });
    expect(found.total).toBe(0);
  });

  it("answers a refused batch with one error per call, as tRPC expects", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.request("/console/trpc/tenants.get,users.list?batch=1", {
      method: "POST",
      cookie,
      headers: { "content-type": "application/json", origin: "https://evil.example", [CSRF_HEADER]: "1" },
      body: JSON.stringify({ 0: undefined, 1: {} }),
    });
    const body = (await res.json()) as { error: { data: { path: string; reason: string } } }[];
    expect(body.map((b) => [b.error.data.path, b.error.data.reason])).toEqual([
      ["tenants.get", "csrf"],
      ["users.list", "csrf"],
    ]);
  });

  it("refuses a call without the request header even from the same origin", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.trpc(cookie, "users.create", { username: `csrf-${Date.now()}` }, { origin: ORIGIN });
    expect(res.res.status).toBe(403);
    expect(res.item.error?.data).toMatchObject({ code: "FORBIDDEN", reason: "csrf" });
  });

  it("refuses a request the browser marks cross-site", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.trpc(cookie, "tenants.get", undefined, { ...SPA_HEADERS, "sec-fetch-site": "cross-site" });
    expect(res.res.status).toBe(403);
  });

  it("refuses a sign-out from another origin, leaving the session alive", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.request("/console/api/session", { method: "DELETE", cookie, headers: { [CSRF_HEADER]: "1", origin: "https://evil.example" } });
    expect(res.status).toBe(403);
    expect((await console_.trpc(cookie, "tenants.get")).res.status).toBe(200);
  });

  it("answers tRPC only over POST", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.request("/console/trpc/tenants.get", { cookie });
    expect(res.status).toBe(405);
  });
});

describe("forwarding", () => {
  it("forwards the operator's calls with the key and answers the API's result", async () => {
    const { cookie } = await console_.signIn(key);
    const username = `fwd-${Date.now()}`;
    const created = await console_.trpc(cookie, "users.create", { username });
    expect(created.res.status).toBe(200);
    const listed = await console_.trpc(cookie, "users.list", { query: username });
    expect(listed.item.result?.data).toMatchObject({ total: 1, objects: [{ username }] });
  });

  it("passes the API's field errors through unchanged", async () => {
    const { cookie } = await console_.signIn(key);
    const bad = await console_.trpc(cookie, "users.create", { username: "has space" });
    expect(bad.res.status).toBe(400);
    expect(bad.item.error?.data).toMatchObject({ code: "BAD_REQUEST", field: "username" });
  });

  it("forwards a batch of several procedures", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.request("/console/trpc/tenants.get,users.list?batch=1", {
      method: "POST",
      cookie,
      headers: { "content-type": "application/json", ...SPA_HEADERS },
      body: JSON.stringify({ 0: undefined, 1: { limit: 1 } }),
    });
    const body = (await res.json()) as { result: { data: { id?: string; total?: number } } }[];
    expect(res.status).toBe(200);
    expect(body[0]!.result.data.id).toBe(tenant.id);
    expect(typeof body[1]!.result.data.total).toBe("number");
  });

  it("never relays the public auth procedures or root-only ones for an operator", async () => {
    const { cookie } = await console_.signIn(key);
    for (const procedure of ["auth.login", "tenants.create", "tenants.list", "nope.nothing"]) {
      const res = await console_.trpc(cookie, procedure, {});
      expect(res.res.status, procedure).toBe(403);
      expect(res.item.error?.data, procedure).toMatchObject({ code: "FORBIDDEN", reason: "procedure_not_allowed" });
    }
  });

  it("refuses a body over the limit before it reaches the API", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.trpc(cookie, "users.create", { username: "big", profile: { blob: "x".repeat(MAX_TRPC_BODY_BYTES) } });
    expect(res.res.status).toBe(413);
    expect(res.item.error?.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", reason: "too_large" });
  });

  it("answers SERVICE_UNAVAILABLE in tRPC's shape when the API is down after sign-in", async () => {
    const { cookie } = await console_.signIn(key);
    // The same sessions, with the API gone from its address (nothing listens on port 9).
    const apiGone = startConsole("http://127.0.0.1:9", {}, { store: console_.store });
    const res = await apiGone.trpc(cookie, "users.list");
    expect(res.res.status).toBe(503);
    expect(res.item.error?.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", reason: "api_unreachable" });
    expect(res.item.error?.message).toMatch(/cannot reach the Sesame API/);
    // An outage is not a sign-out: once the API answers again, the same session works.
    expect((await console_.trpc(cookie, "tenants.get")).res.status).toBe(200);
  });

  it("marks every console response no-store", async () => {
    const { cookie } = await console_.signIn(key);
    expect((await console_.trpc(cookie, "tenants.get")).res.headers.get("cache-control")).toBe("no-store");
    expect((await console_.request("/console/api/session", { cookie })).headers.get("cache-control")).toBe("no-store");
  });
});

describe("session end", () => {
  it("ends the session when the API refuses its key (revoked), clearing the cookie", async () => {
    const { apiKey, key: second } = await api.admin(key).apiKeys.create.mutate({ name: "revoked-in-test" });
    const { cookie } = await console_.signIn(second);
    expect((await console_.trpc(cookie, "tenants.get")).res.status).toBe(200);
    await api.admin(key).apiKeys.revoke.mutate({ apiKeyId: apiKey.id });
    const after = await console_.trpc(cookie, "users.list");
    expect(after.res.status).toBe(401);
    expect(after.item.error?.data).toMatchObject({ code: "UNAUTHORIZED", reason: "key_rejected" });
    expect(after.item.error?.message).toMatch(/no longer accepts the key/);
    expect(after.res.headers.get("set-cookie")).toMatch(/^sesame_console=;.*Max-Age=0/i);
    const status = await (await console_.request("/console/api/session", { cookie })).json();
    expect(status).toMatchObject({ session: null, reason: "session_expired" });
  });

  it("ends an idle session after the idle timeout", async () => {
    const clocked = startConsole(api.url, { sessionIdleSeconds: 600 });
    const { cookie } = await clocked.signIn(key);
    clocked.advance(599);
    expect((await clocked.trpc(cookie, "tenants.get")).res.status).toBe(200);
    clocked.advance(599);
    expect((await clocked.trpc(cookie, "tenants.get")).res.status).toBe(200);
    clocked.advance(601);
    const expired = await clocked.trpc(cookie, "tenants.get");
    expect(expired.res.status).toBe(401);
    expect(expired.item.error?.data).toMatchObject({ code: "UNAUTHORIZED", reason: "session_expired" });
    expect(expired.res.headers.get("set-cookie")).toMatch(/Max-Age=0/i);
  });

  it("ends a busy session at its absolute lifetime", async () => {
    const clocked = startConsole(api.url, { sessionIdleSeconds: 600, sessionMaxSeconds: 3600 });
    const { cookie } = await clocked.signIn(key);
    for (let i = 0; i < 6; i++) {
      clocked.advance(590);
      expect((await clocked.trpc(cookie, "tenants.get")).res.status).toBe(200);
    }
    clocked.advance(100);
    expect((await clocked.trpc(cookie, "tenants.get")).item.error?.data).toMatchObject({ reason: "session_expired" });
  });

  it("tells the SPA its session expired when the cookie names an expired session", async () => {
    const clocked = startConsole(api.url, { sessionIdleSeconds: 600 });
    const { cookie } = await clocked.signIn(key);
    clocked.advance(601);
    const status = await (await clocked.request("/console/api/session", { cookie })).json();
    expect(status).toMatchObject({ session: null, reason: "session_expired", message: expect.stringMatching(/expired/) });
  });

  it("signs out: the session is deleted and its cookie no longer works", async () => {
    const { cookie } = await console_.signIn(key);
    const res = await console_.request("/console/api/session", { method: "DELETE", cookie, headers: SPA_HEADERS });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/Max-Age=0/i);
    expect((await console_.trpc(cookie, "tenants.get")).item.error?.data).toMatchObject({ code: "UNAUTHORIZED", reason: "session_expired" });
  });

  it("answers signed_out without a cookie", async () => {
    const status = await (await console_.request("/console/api/session")).json();
    expect(status).toMatchObject({ session: null, reason: "signed_out" });
    expect((await console_.trpc(null, "tenants.get")).item.error?.data).toMatchObject({ code: "UNAUTHORIZED", reason: "signed_out" });
  });
});

describe("secrets", () => {
  it("never sends a key back in any body or header", async () => {
    // Everything this file's console answered so far, plus a fresh round with both kinds of key.
    const root = await console_.signIn(api.config.rootKey);
    await console_.trpc(root.cookie, "tenants.list");
    const op = await console_.signIn(key);
    await console_.request("/console/api/session", { cookie: op.cookie });
    await console_.trpc(op.cookie, "users.list");
    await console_.trpc(op.cookie, "apiKeys.list");
    expect(console_.seen.length).toBeGreaterThan(30);
    for (const res of console_.seen) {
      const text = `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await res.text()}`;
      expect(text).not.toContain(key);
      expect(text).not.toContain(api.config.rootKey);
    }
  });
});

describe("serving the built SPA", () => {
  const root = mkdtempSync(join(tmpdir(), "sesame-console-web-"));
  mkdirSync(join(root, "assets"));
  writeFileSync(join(root, "index.html"), "<!doctype html><title>console</title>");
  writeFileSync(join(root, "assets", "app-abc123.js"), "console.log(1)");

  it("answers index.html for page paths with a strict CSP and no-cache", async () => {
    const served = startConsole("http://127.0.0.1:9", {}, { staticRoot: root });
    const res = await served.request("/users/123");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<title>console</title>");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("serves hashed assets as immutable", async () => {
    const served = startConsole("http://127.0.0.1:9", {}, { staticRoot: root });
    const res = await served.request("/assets/app-abc123.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("answers 404 JSON for unknown console API paths instead of the SPA", async () => {
    const served = startConsole("http://127.0.0.1:9", {}, { staticRoot: root });
    const res = await served.request("/console/api/nothing");
    expect(res.status).toBe(404);
  });
});
