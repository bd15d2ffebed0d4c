/**
 * Forward-auth mode (`/_sesame/auth`, CONTRACT §7): another proxy states the original request and
 * the edge answers with the same decision its own proxy would make, through the same normalisation,
 * public paths and route groups.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpstashCache } from "@sesame/cache";
import { INTROSPECTION_PATH } from "@sesame/core";
import { closedPort } from "@sesame/dev-services";
import { startFakeApiOnTestCache, type FakeApi, type FakeSession } from "../test/support/fake-api.ts";
import { createEdgeApp } from "./app.ts";

let stopStore: () => Promise<void>;
let api: FakeApi;
let app: ReturnType<typeof createEdgeApp>;
let staff: FakeSession;
let staffToken: string;
let adminToken: string;

beforeAll(async () => {
  ({ api, stopStore } = await startFakeApiOnTestCache());
  app = createEdgeApp({
    ...api.authOptions(),
    upstreamUrl: "http://127.0.0.1:9/never-used",
    publicPaths: ["/public/*"],
    routeGroups: { "/admin/*": ["admin"], "DELETE /orders/*": ["sales-lead"] },
  });
  staff = api.createSession({ groups: ["staff"] });
  const admin = api.createSession({ groups: ["admin", "sales-lead"] });
  await Promise.all([api.cacheActive(staff), api.cacheActive(admin)]);
  staffToken = await api.signToken(staff);
  adminToken = await api.signToken(admin);
});
afterAll(async () => {
  await api?.close();
  await stopStore?.();
});

const ask = (headers: Record<string, string>, path = "/_sesame/auth", method = "GET") => app.request(path, { method, headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("forward auth", () => {
  it("answers 200 with the identity headers, uncacheable and without a body, for a valid session", async () => {
    const res = await ask({ ...bearer(staffToken), "x-forwarded-uri": "/api/items?page=2" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-sesame-user-id")).toBe(staff.uid);
    expect(res.headers.get("x-sesame-session-id")).toBe(staff.sid);
    expect(res.headers.get("x-sesame-tenant-id")).toBe(staff.tid);
    expect(res.headers.get("x-sesame-groups")).toBe("staff");
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Stated, not implied: nginx keeps its connection to the edge only when no body can follow.
    expect(res.headers.get("content-length")).toBe("0");
    expect(await res.text()).toBe("");
  });

  it("answers the edge's 401 without a token, and 401 session_revoked once the session is revoked", async () => {
    const missing = await ask({ "x-forwarded-uri": "/api/items" });
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");

    const doomed = api.createSession();
    await api.cacheActive(doomed);
    const token = await api.signToken(doomed);
    expect((await ask({ ...bearer(token), "x-forwarded-uri": "/api/x" })).status).toBe(200);
    await api.revoke(doomed);
    const revoked = await ask({ ...bearer(token), "x-forwarded-uri": "/api/x" });
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ error: "session_revoked" });
    expect(revoked.headers.get("x-sesame-user-id")).toBeNull();
  });

  it("applies route groups to the stated URI: 403 naming the groups, 200 for a member", async () => {
    const denied = await ask({ ...bearer(staffToken), "x-forwarded-uri": "/admin/users" });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: "insufficient_scope", requiredGroups: ["admin"] });
    const allowed = await ask({ ...bearer(adminToken), "x-forwarded-uri": "/admin/users" });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("x-sesame-groups")).toBe("admin,sales-lead");
  });

  it("reads the stated URI through the edge's normalisation: case, dot segments, doubled slashes", async () => {
    for (const uri of ["/ADMIN/users", "/public/../admin/users", "//admin/users", "/api/%2e%2e/admin/x", "http://app.example/admin/users"]) {
      expect((await ask({ ...bearer(staffToken), "x-forwarded-uri": uri })).status, uri).toBe(403);
    }
    expect((await ask({ ...bearer(staffToken), "x-forwarded-uri": "/public/..%2Fadmin" })).status).toBe(400);
  });

  it("falls back to X-Original-URI, and takes X-Forwarded-Uri when both are sent", async () => {
    expect((await ask({ ...bearer(staffToken), "x-original-uri": "/admin/users" })).status).toBe(403);
    expect((await ask({ ...bearer(staffToken), "x-original-uri": "/api/x" })).status).toBe(200);
    expect((await ask({ ...bearer(staffToken), "x-forwarded-uri": "/admin/users", "x-original-uri": "/api/x" })).status).toBe(403);
  });

  it("applies method rules with X-Forwarded-Method, or the request's own method", async () => {
    expect((await ask({ ...bearer(staffToken), "x-forwarded-uri": "/orders/7", "x-forwarded-method": "GET" })).status).toBe(200);
    expect((await ask({ ...bearer(staffToken), "x-forwarded-uri": "/orders/7", "x-forwarded-method": "delete" })).status).toBe(403);
    expect((await ask({ ...bearer(adminToken), "x-forwarded-uri": "/orders/7", "x-forwarded-method": "DELETE" })).status).toBe(200);
    expect((await ask({ ...bearer(staffToken), "x-forwarded-uri": "/orders/7" }, "/_sesame/auth", "DELETE")).status).toBe(403);
  });

  it("reads Envoy's shape: the original path appended to /_sesame/auth, the original method kept", async () => {
    expect((await ask(bearer(staffToken), "/_sesame/auth/admin/users?x=1")).status).toBe(403);
    expect((await ask(bearer(staffToken), "/_sesame/auth/orders/7", "DELETE")).status).toBe(403);
    const allowed = await ask(bearer(staffToken), "/_sesame/auth/api/items", "POST");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("x-sesame-session-id")).toBe(staff.sid);
  });

  it("allows public paths without a token and vouches for nobody there", async () => {
    const res = await ask({ "x-forwarded-uri": "/public/logo.png" });
    expect(res.status).toBe(200);
    expect([...res.headers.keys()].filter((name) => name.startsWith("x-sesame-"))).toEqual([]);
  });

  it("refuses a call that does not state the original request, naming the header", async () => {
    const none = await ask(bearer(staffToken));
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ error: "invalid_request", message: expect.stringContaining("X-Forwarded-Uri") });
    const relative = await ask({ ...bearer(staffToken), "x-forwarded-uri": "admin/users" });
    expect(relative.status).toBe(400);
    const badMethod = await ask({ ...bearer(staffToken), "x-forwarded-uri": "/api/x", "x-forwarded-method": "GET /admin" });
    expect(badMethod.status).toBe(400);
    expect(await badMethod.json()).toMatchObject({ message: expect.stringContaining("X-Forwarded-Method") });
  });

  it("answers 503 with Retry-After when neither the cache nor the API can answer", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const store = createUpstashCache({ kind: "upstash", url: dead, token: "t", prefix: "dead:", timeoutMs: 200 }).store;
    const stranded = createEdgeApp({
      ...api.authOptions(),
      store,
      introspection: { ...api.authOptions().introspection, url: `${dead}${INTROSPECTION_PATH}` },
      upstreamUrl: "http://127.0.0.1:9/never-used",
    });
    const res = await stranded.request("/_sesame/auth", { headers: { ...bearer(staffToken), "x-forwarded-uri": "/api/x" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await res.json()).toMatchObject({ error: "temporarily_unavailable" });
  });
});
