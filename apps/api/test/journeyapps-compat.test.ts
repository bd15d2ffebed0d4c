/**
 * A JourneyApps backend client written from the "Manage App Users and Sessions" page alone: plain
 * fetch, snake_case, HTTP Basic with the API key as password. It runs every endpoint of the page's
 * table and the batch forms, and compares each answer's shape with the page's sample response key by
 * key. The sessions are set up as in the samples (through /v1, the devices reporting themselves).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEED_AUTHENTICATION_TOKEN, SEED_GET_SESSION, SEED_GET_USER, SEED_LIST_USERS } from "./fixtures/journeyapps-seed-samples.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";
import { rest } from "./rest-fixtures.ts";

let api: ApiHarness;
let key: string;
let tenant: { id: string; code: string };
const ids = { userA: "", sessionA: "", userB: "", sessionBOld: "", sessionBNew: "", userC: "", sessionC: "" };

/** The JourneyApps client: BASE-URL/api/v4/<deployment>/…, Basic auth, JSON. */
async function journeyApps(method: string, path: string, body?: unknown, options: { tenant?: string; authorization?: string } = {}) {
  const authorization = options.authorization ?? `Basic ${Buffer.from(`deployment:${key}`).toString("base64")}`;
  const res = await fetch(`${api.url}/api/v4/${options.tenant ?? tenant.code}${path}`, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : null };
}

const SECONDS_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Same keys at every level, same kinds of value; a time is written as the sample writes it; null stands for a missing value. */
function expectSameShape(actual: unknown, sample: unknown, at = "$") {
  if (sample === null || actual === null) return;
  if (Array.isArray(sample)) {
    expect(Array.isArray(actual), at).toBe(true);
    (actual as unknown[]).forEach((item, i) => expectSameShape(item, sample[Math.min(i, sample.length - 1)], `${at}[${i}]`));
    return;
  }
  if (typeof sample === "object") {
    expect(Object.keys(actual as object).sort(), at).toEqual(Object.keys(sample).sort());
    for (const [k, v] of Object.entries(sample)) expectSameShape((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
    return;
  }
  expect(typeof actual, at).toBe(typeof sample);
  if (typeof sample === "string" && SECONDS_TIME.test(sample)) expect(actual, at).toMatch(SECONDS_TIME);
}

beforeAll(async () => {
  api = await startApi();
  const created = await createTenantWithAdmin(api);
  key = created.key;
  tenant = created.tenant;
  const v1 = (method: string, path: string, body?: unknown, token = key) => rest(api, method, path, { key: token, ...(body === undefined ? {} : { body }) });
  const device = (id: string, label: string, platform: string) => ({ device: { id }, label, container: { version: "20.6.1", bundleId: "xyz.appinstall.myapp", platform }, runtime: { version: "4.82.0" } });
  const user = async () => (await v1("POST", "/v1/users", { username: `ja-${randomUUID().slice(0, 8)}` })).body.id as string;
  const session = async (userId: string, client: unknown) => (await v1("POST", `/v1/users/${userId}/sessions`, { client })).body as { session: { id: string }; accessToken: string };

  // User A (the first sample): one iPhone session that reported a full sync, then signed out.
  ids.userA = await user();
  const a = await session(ids.userA, device("1234-1234-1234-1234", "Apple iPhone7,2", "IOS"));
  ids.sessionA = a.session.id;
  expect((await v1("POST", "/v1/auth/device", { syncStatus: { lastFullSync: "2018-07-31T12:17:58Z" } }, a.accessToken)).status).toBe(200);
  await v1("POST", `/v1/users/${ids.userA}/sessions/${ids.sessionA}/reauthenticate`);
  // User B (the second): a Chrome session signed out, then an Android one enrolled and connected.
  ids.userB = await user();
  const old = await session(ids.userB, device("3456-3456-3456-3456", "Chrome", "CHROME"));
  ids.sessionBOld = old.session.id;
  await v1("POST", `/v1/users/${ids.userB}/sessions/${ids.sessionBOld}/reauthenticate`);
  const fresh = await session(ids.userB, device("2345-2345-2345-2345", "Sony C6903", "ANDROID"));
  ids.sessionBNew = fresh.session.id;
  await v1("POST", "/v1/auth/device", {}, fresh.accessToken);
  // User C: one more, so a page of two has more.
  ids.userC = await user();
  ids.sessionC = (await session(ids.userC, device("4567-4567-4567-4567", "Pixel", "ANDROID"))).session.id;
});
afterAll(async () => api?.stop());

describe("JourneyApps Users & Sessions API, as the page describes it", () => {
  it("GET /users?limit=2&skip=0 pages users with their sessions, shaped as the sample", async () => {
    const res = await journeyApps("GET", "/users?limit=2&skip=0");
    expect(res.status).toBe(200);
    expectSameShape(res.json, SEED_LIST_USERS);
    expect(res.json).toMatchObject({ total: 3, count: 2, more: true });
    const [a, b] = res.json.objects;
    expect(a).toMatchObject({ id: ids.userA, enrolled: false, locked: false, sessions: [{ id: ids.sessionA, state: "LOCKED", sync_status: { last_full_sync: "2018-07-31T12:17:58Z" } }] });
    expect(b).toMatchObject({ id: ids.userB, enrolled: true, sessions: [{ id: ids.sessionBNew, state: "ENROLLED", signed_out_at: null }, { id: ids.sessionBOld, state: "LOCKED" }] });
    expect(b.sessions[0].container).toEqual({ version: "20.6.1", bundle_id: "xyz.appinstall.myapp", platform: "ANDROID" });
    expect(b.last_connected_at).toBe(b.sessions[0].last_connected_at);
    expect((await journeyApps("GET", "/users?limit=2&skip=2")).json).toMatchObject({ total: 3, count: 1, more: false });
  });

  it("GET /users/{user_id} answers the user and its sessions, shaped as the sample", async () => {
    const res = await journeyApps("GET", `/users/${ids.userA}`);
    expect(res.status).toBe(200);
    expectSameShape(res.json, SEED_GET_USER);
    expect(res.json.sessions[0]).toMatchObject({ label: "Apple iPhone7,2", device: { id: "1234-1234-1234-1234" }, runtime: { version: "4.82.0" } });
  });

  it("GET /users/{user_id}/sessions/{session_id} answers the session, shaped as the sample", async () => {
    const res = await journeyApps("GET", `/users/${ids.userA}/sessions/${ids.sessionA}`);
    expect(res.status).toBe(200);
    expectSameShape(res.json, SEED_GET_SESSION);
    expect(res.json.signed_out_at).toMatch(SECONDS_TIME);
  });

  it("POST /users/{user_id}/lock requires wipe and answers 204", async () => {
    const missing = await journeyApps("POST", `/users/${ids.userB}/lock`, {});
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ code: "BAD_REQUEST", field: "wipe" });
    const res = await journeyApps("POST", `/users/${ids.userB}/lock`, { wipe: false });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    const user = (await journeyApps("GET", `/users/${ids.userB}`)).json;
    expect(user.locked).toBe(true);
    expect(user.sessions.map((s: { state: string }) => s.state)).toEqual(["LOCKED", "LOCKED"]);
  });

  it("POST /users/{user_id}/unlock answers 204", async () => {
    const res = await journeyApps("POST", `/users/${ids.userB}/unlock`);
    expect(res.status).toBe(204);
    expect((await journeyApps("GET", `/users/${ids.userB}`)).json.locked).toBe(false);
  });

  it("POST …/sessions/{session_id}/wipe and …/re-authenticate answer 204", async () => {
    expect((await journeyApps("POST", `/users/${ids.userC}/sessions/${ids.sessionC}/re-authenticate`)).status).toBe(204);
    expect((await journeyApps("GET", `/users/${ids.userC}/sessions/${ids.sessionC}`)).json.state).toBe("LOCKED");
    expect((await journeyApps("POST", `/users/${ids.userA}/sessions/${ids.sessionA}/wipe`)).status).toBe(204);
    expect((await journeyApps("GET", `/users/${ids.userA}/sessions/${ids.sessionA}`)).json.state).toBe("RESET");
  });

  it("POST /users/{user_id}/authentication-token answers {token, url}, shaped as the sample", async () => {
    const res = await journeyApps("POST", `/users/${ids.userC}/authentication-token`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(Object.keys(SEED_AUTHENTICATION_TOKEN).sort());
    expect(res.json.token).toMatch(/^\d{8}$/);
  });

  it("POST /batch runs the page's flat operations with a result per operation", async () => {
    const missingUser = randomUUID();
    const res = await journeyApps("POST", "/batch", {
      operations: [
        { method: "users/lock", user_id: ids.userC, wipe: true },
        { method: "users/unlock", user_id: ids.userC },
        { method: "users/sessions/re-authenticate", user_id: ids.userB, session_id: ids.sessionBNew },
        { method: "users/sessions/wipe", user_id: ids.userB, session_id: ids.sessionBOld },
        { method: "users/authentication-token", user_id: ids.userB },
        { method: "users/unlock", user_id: missingUser },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.stop_on_error).toBe(false);
    expect(res.json.operations).toEqual([
      { method: "users/lock", user_id: ids.userC, success: true },
      { method: "users/unlock", user_id: ids.userC, success: true },
      { method: "users/sessions/re-authenticate", user_id: ids.userB, session_id: ids.sessionBNew, success: true },
      { method: "users/sessions/wipe", user_id: ids.userB, session_id: ids.sessionBOld, success: true },
      { method: "users/authentication-token", user_id: ids.userB, success: true, token: expect.stringMatching(/^\d{8}$/), url: null },
      { method: "users/unlock", user_id: missingUser, success: false, error: { code: "NOT_FOUND", message: "User not found" } },
    ]);
    expect((await journeyApps("GET", `/users/${ids.userB}/sessions/${ids.sessionBOld}`)).json.state).toBe("RESET");
  });

  it("POST /batch.json with stop_on_error applies nothing after the first failure", async () => {
    const res = await journeyApps("POST", "/batch.json", {
      stop_on_error: true,
      operations: [
        { method: "users/unlock", user_id: randomUUID() },
        { method: "users/lock", user_id: ids.userC, wipe: false },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.operations.map((o: { success: boolean; error?: { code: string } }) => [o.success, o.error?.code])).toEqual([
      [false, "NOT_FOUND"],
      [false, "SKIPPED"],
    ]);
    expect((await journeyApps("GET", `/users/${ids.userC}`)).json.locked).toBe(false);
  });

  it("refuses a malformed batch operation as a whole, naming it", async () => {
    const res = await journeyApps("POST", "/batch", { operations: [{ method: "users/lock", user_id: ids.userC }] });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: "BAD_REQUEST", field: "operations.0.wipe" });
  });
});

describe("JourneyApps authentication and tenants", () => {
  it("accepts the key as Bearer and the tenant by id", async () => {
    const res = await journeyApps("GET", `/users/${ids.userA}`, undefined, { tenant: tenant.id, authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
  });

  it("answers 401 with a Basic challenge for a wrong or missing key", async () => {
    for (const authorization of [`Basic ${Buffer.from("deployment:sk_wrong").toString("base64")}`, "Basic !!!", ""]) {
      const res = await journeyApps("GET", "/users", undefined, { authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Basic");
      expect(res.json.code).toBe("UNAUTHORIZED");
    }
  });

  it("answers 404 for another tenant in the path, and for another tenant's users", async () => {
    const other = await createTenantWithAdmin(api);
    expect((await journeyApps("GET", "/users", undefined, { tenant: other.tenant.code })).status).toBe(404);
    expect((await journeyApps("GET", "/users", undefined, { tenant: other.tenant.id })).status).toBe(404);
    const theirs = await other.admin.users.create.mutate({ username: `theirs-${randomUUID().slice(0, 8)}` });
    const res = await journeyApps("POST", `/users/${theirs.id}/lock`, { wipe: true });
    expect(res.status).toBe(404);
    expect((await other.admin.users.get.query({ userId: theirs.id })).locked).toBe(false);
  });
});
