/**
 * `/v1` over plain HTTP: the same procedures as tRPC (callers, tenant isolation, receipts, events),
 * REST statuses and one error body `{ code, message, field }`.
 */
import { randomUUID } from "node:crypto";
import { closedPort } from "@sesame/dev-services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode } from "@sesame/client";
import { uniqueIp } from "./auth-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";
import { rest } from "./rest-fixtures.ts";

let api: ApiHarness;
let key: string;
let otherKey: string;
beforeAll(async () => {
  api = await startApi();
  key = (await createTenantWithAdmin(api)).key;
  otherKey = (await createTenantWithAdmin(api)).key;
});
afterAll(async () => api?.stop());

const username = () => `rest-${randomUUID().slice(0, 8)}`;

describe("/v1 admin flow", () => {
  it("creates a user (201), starts a session, locks with wipe and records it in the events", async () => {
    const created = await rest(api, "POST", "/v1/users", { key, body: { username: username(), email: `${randomUUID()}@example.com` } });
    expect(created.status).toBe(201);
    const userId = created.body.id as string;
    const started = await rest(api, "POST", `/v1/users/${userId}/sessions`, { key, body: { accessGroups: ["staff"], client: { label: "Phone" } } });
    expect(started.status).toBe(201);
    expect(started.body.session).toMatchObject({ userId, state: "ENROLLED", accessGroups: ["staff"], label: "Phone" });

    const locked = await rest(api, "POST", `/v1/users/${userId}/lock`, { key, body: { wipe: true } });
    expect(locked.status).toBe(200);
    expect(locked.body.user.locked).toBe(true);
    expect(locked.body.revocation.sessionIds).toEqual([started.body.session.id]);
    expect(locked.body.revocation.effectiveAt).not.toBeNull();

    const got = await rest(api, "GET", `/v1/users/${userId}`, { key });
    expect(got.body.sessions.map((s: { state: string }) => s.state)).toEqual(["RESET"]);
    const events = await rest(api, "GET", `/v1/events?userId=${userId}&limit=10`, { key });
    expect(events.status).toBe(200);
    expect(events.body.objects.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(["user.created", "session.created", "user.locked", "session.reset"]));
  });

  it("pages users from the query string and embeds sessions on request", async () => {
    const user = (await rest(api, "POST", "/v1/users", { key, body: { username: username() } })).body;
    await rest(api, "POST", `/v1/users/${user.id}/sessions`, { key, body: {} });
    const page = await rest(api, "GET", "/v1/users?limit=1000&skip=0&includeSessions=true", { key });
    expect(page.status).toBe(200);
    const listed = page.body.objects.find((u: { id: string }) => u.id === user.id);
    expect(listed.sessions).toHaveLength(1);
    const plain = await rest(api, "GET", "/v1/users?limit=1", { key });
    expect(plain.body).toMatchObject({ count: 1, more: true });
    expect(plain.body.objects[0].sessions).toBeUndefined();
  });

  it("searches users by POST, keeping search terms out of URLs", async () => {
    const name = username();
    await rest(api, "POST", "/v1/users", { key, body: { username: name } });
    const found = await rest(api, "POST", "/v1/users/search", { key, body: { query: name } });
    expect(found.body.objects.map((u: { username: string }) => u.username)).toEqual([name]);
    const refused = await rest(api, "GET", `/v1/users?query=${name}`, { key });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: "BAD_REQUEST", field: "query" });
  });

  it("finds and deletes a session by token with POST bodies", async () => {
    const user = (await rest(api, "POST", "/v1/users", { key, body: { username: username() } })).body;
    const started = (await rest(api, "POST", `/v1/users/${user.id}/sessions`, { key, body: {} })).body;
    const found = await rest(api, "POST", `/v1/users/${user.id}/sessions/lookup`, { key, body: { token: started.refreshToken } });
    expect(found.body.id).toBe(started.session.id);
    const deleted = await rest(api, "POST", `/v1/users/${user.id}/sessions/delete-by-token`, { key, body: { token: started.accessToken } });
    expect(deleted.body.revocation.sessionIds).toEqual([started.session.id]);
  });
});

describe("/v1 errors", () => {
  it("answers 400 naming the field when lock has no wipe", async () => {
    const user = (await rest(api, "POST", "/v1/users", { key, body: { username: username() } })).body;
    const res = await rest(api, "POST", `/v1/users/${user.id}/lock`, { key, body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "BAD_REQUEST", field: "wipe", message: expect.stringContaining("wipe") });
  });

  it("answers 400 for a malformed id, NUL characters and malformed JSON", async () => {
    expect((await rest(api, "GET", "/v1/users/not-a-uuid", { key })).body).toMatchObject({ code: "BAD_REQUEST", field: "userId" });
    const nul = await rest(api, "POST", "/v1/users", { key, body: { username: username(), firstName: "a\u0000b" } });
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({ code: "BAD_REQUEST", field: "firstName" });
    const malformed = await rest(api, "POST", "/v1/users", { key, rawBody: "{not json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("answers 401 without a key and 403 for a locked user's session", async () => {
    const res = await rest(api, "GET", "/v1/users");
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: "UNAUTHORIZED", message: expect.any(String), field: null });
    const user = (await rest(api, "POST", "/v1/users", { key, body: { username: username() } })).body;
    await rest(api, "POST", `/v1/users/${user.id}/lock`, { key, body: { wipe: false } });
    const forbidden = await rest(api, "POST", `/v1/users/${user.id}/sessions`, { key, body: {} });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe("FORBIDDEN");
  });

  it("answers 404 for another tenant's user and session, exactly as for random ids", async () => {
    const theirs = (await rest(api, "POST", "/v1/users", { key: otherKey, body: { username: username() } })).body;
    const session = (await rest(api, "POST", `/v1/users/${theirs.id}/sessions`, { key: otherKey, body: {} })).body.session;
    for (const [method, path, body] of [
      ["GET", `/v1/users/${theirs.id}`],
      ["POST", `/v1/users/${theirs.id}/lock`, { wipe: true }],
      ["GET", `/v1/users/${theirs.id}/sessions/${session.id}`],
      ["POST", `/v1/users/${theirs.id}/sessions/${session.id}/wipe`],
      ["GET", `/v1/users/${randomUUID()}`],
    ] as const) {
      const res = await rest(api, method, path, { key, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe("NOT_FOUND");
    }
    const still = await rest(api, "GET", `/v1/users/${theirs.id}/sessions/${session.id}`, { key: otherKey });
    expect(still.body.state).toBe("ENROLLED");
  });

  it("answers 409 naming the field for a duplicate username", async () => {
    const name = username();
    await rest(api, "POST", "/v1/users", { key, body: { username: name } });
    const res = await rest(api, "POST", "/v1/users", { key, body: { username: name } });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "CONFLICT", field: "username" });
  });

  it("answers 413 in the REST error shape on /v1 and /api/v4", async () => {
    const big = JSON.stringify({ username: "x".repeat(api.config.maxBodyBytes) });
    for (const path of ["/v1/users", "/api/v4/ANY/batch"]) {
      const res = await rest(api, "POST", path, { key, rawBody: big });
      expect(res.status, path).toBe(413);
      expect(res.body).toMatchObject({ code: "PAYLOAD_TOO_LARGE", field: null });
    }
  });

  it("answers 429 with Retry-After once sign-ins from a source are throttled", async () => {
    const ip = uniqueIp();
    let last = await rest(api, "POST", "/v1/auth/login", { body: { tenant: "NOPE", identifier: "ada", password: "x" }, headers: { "x-forwarded-for": ip } });
    for (let i = 0; i < 60 && last.status !== 429; i++) {
      last = await rest(api, "POST", "/v1/auth/login", { body: { tenant: "NOPE", identifier: "ada", password: "x" }, headers: { "x-forwarded-for": ip } });
    }
    expect(last.status).toBe(429);
    expect(last.body.code).toBe("TOO_MANY_REQUESTS");
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(last.body.retryAfterSeconds).toBe(Number(last.headers.get("retry-after")));
  });

  it("answers an unknown route with a REST 404", async () => {
    const res = await rest(api, "GET", "/v1/nope", { key });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: "NOT_FOUND" });
  });

  it("leaves the tRPC procedures' own validation alone (a REST call never loosens it)", async () => {
    const user = (await rest(api, "POST", "/v1/users", { key, body: { username: username() } })).body;
    await rest(api, "GET", "/v1/users?limit=5&locked=false", { key });
    const admin = api.admin(key);
    const refused = await admin.users.lock.mutate({ userId: user.id, wipe: "false" as unknown as boolean }).catch((e: unknown) => e);
    expect(errorCode(refused)).toBe("BAD_REQUEST");
    const limit = await admin.users.list.query({ limit: "5" as unknown as number }).catch((e: unknown) => e);
    expect(errorCode(limit)).toBe("BAD_REQUEST");
  });
});

describe("/v1 with the cache down", () => {
  let dead: ApiHarness;
  beforeAll(async () => {
    const port = await closedPort();
    dead = await startApi({ config: { cache: { kind: "upstash", url: `http://127.0.0.1:${port}`, token: "dead", prefix: "dead:", timeoutMs: 200 } } });
  });
  afterAll(async () => dead?.stop());

  it("answers 503 with Retry-After, never 500", async () => {
    const res = await rest(dead, "POST", "/v1/auth/login", { body: { tenant: "ACME", identifier: "ada", password: "whatever" } });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 5 });
    expect(res.headers.get("retry-after")).toBe("5");
  });
});
