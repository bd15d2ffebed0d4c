import { Hono } from "hono";
import { INTROSPECTION_PATH, JWKS_PATH, tombstoneCacheEntry } from "@sesame/core";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { createUpstashCache, type SessionCacheStore } from "@sesame/cache";
import { closedPort } from "@sesame/dev-services";
import { availableBackends } from "@sesame/cache/testing";
import { startFakeApi, type FakeApi } from "../test/support/fake-api.ts";
import { requireFactors, requireGroups, sessionAuth, type EdgeSession, type SessionAuthEvent, type SessionAuthOptions, type SessionVariables } from "./middleware.ts";

function buildApp(options: SessionAuthOptions) {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use("/api/*", sessionAuth(options));
  app.get("/api/me", (c) => c.json(c.var.session));
  app.get("/api/admin", requireGroups("admin"), (c) => c.json({ admin: true }));
  app.post("/api/payouts", requireFactors("totp"), (c) => c.json({ paid: true }));
  return app;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function deadStore(): Promise<SessionCacheStore> {
  return createUpstashCache({ kind: "upstash", url: `http://127.0.0.1:${await closedPort()}`, token: "t", prefix: "dead:", timeoutMs: 200 }).store;
}

describe("sessionAuth types", () => {
  it("exposes the session as c.var.session", () => {
    const app = new Hono<{ Variables: SessionVariables }>();
    app.get("/", (c) => {
      expectTypeOf(c.var.session).toEqualTypeOf<EdgeSession>();
      // Shared by every request that read the same cache entry, and frozen: read-only in the type too.
      expectTypeOf(c.var.session.groups).toEqualTypeOf<readonly string[]>();
      return c.text("ok");
    });
    expectTypeOf<SessionVariables>().toEqualTypeOf<{ session: EdgeSession }>();
    expectTypeOf<EdgeSession>().toEqualTypeOf<{ userId: string; sessionId: string; tenantId: string; groups: readonly string[]; factors: readonly string[] }>();
  });
});

describe("sessionAuth options", () => {
  const valid = {
    issuer: "http://127.0.0.1:4000",
    audience: "sesame",
    jwksUrl: `http://127.0.0.1:4000${JWKS_PATH}`,
    store: { get: async () => null, put: async () => true, putMany: async () => [], markSeen: async () => {}, takeSeen: async () => [], ping: async () => {} },
    introspection: { url: `http://127.0.0.1:4000${INTROSPECTION_PATH}`, secret: "s".repeat(32) },
  } satisfies SessionAuthOptions;

  it("accepts complete options", () => {
    expect(() => sessionAuth(valid)).not.toThrow();
  });
  it("rejects bad options once, at creation", () => {
    expect(() => sessionAuth({ ...valid, issuer: "" })).toThrow(/issuer/);
    expect(() => sessionAuth({ ...valid, jwksUrl: "not a url" })).toThrow(/jwksUrl/);
    expect(() => sessionAuth({ ...valid, introspection: { ...valid.introspection, secret: "" } })).toThrow(/secret/);
    expect(() => sessionAuth({ ...valid, leewaySeconds: 600 })).toThrow(/leewaySeconds/);
    expect(() => sessionAuth({ ...valid, tokenCacheSize: -1 })).toThrow(/tokenCacheSize/);
  });
  it("requireFactors refuses an empty or unknown factor list", () => {
    expect(() => requireFactors()).toThrow(/factor/);
    // @ts-expect-error: not a factor Sesame knows
    expect(() => requireFactors("sms")).toThrow(/factor/);
  });
  it("requireGroups refuses an empty group list", () => {
    expect(() => requireGroups()).toThrow(/group/);
    expect(() => requireGroups("")).toThrow(/group/);
  });
});

for (const backend of availableBackends(process.env)) {
  describe(`sessionAuth with ${backend.name}`, () => {
    let stopStore: () => Promise<void>;
    let store: SessionCacheStore;
    let api: FakeApi;
    let app: ReturnType<typeof buildApp>;
    const events: SessionAuthEvent[] = [];
    const count = (type: SessionAuthEvent["type"]) => events.filter((event) => event.type === type).length;

    beforeAll(async () => {
      const started = await backend.start();
      store = started.open().store;
      stopStore = started.stop;
      api = await startFakeApi({ store, introspectionDelayMs: 50 });
      app = buildApp({ ...api.authOptions(), onEvent: (event) => events.push(event) });
    });
    afterAll(async () => {
      await api?.close();
      await stopStore?.();
    });

    it("answers 401 with a bare Bearer challenge when no token is sent", async () => {
      for (const init of [{}, { headers: { authorization: "Basic dXNlcjpwYXNz" } }]) {
        const res = await app.request("/api/me", init);
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe("Bearer");
        expect(await res.json()).toMatchObject({ error: "missing_token" });
      }
    });

    it("admits an active session and sets c.var.session from the token and the cache", async () => {
      const session = api.createSession({ groups: ["staff", "ops"] });
      await api.cacheActive(session);
      const before = api.counters.introspections;
      const res = await app.request("/api/me", bearer(await api.signToken(session)));
      expect(res.status).toBe(200);
      expect(api.counters.introspections).toBe(before);
      expect(await res.json()).toEqual({ userId: session.uid, sessionId: session.sid, tenantId: session.tid, groups: ["staff", "ops"], factors: [] });
    });

    it("rejects the very next request once a tombstone is in the cache", async () => {
      const session = api.createSession();
      await api.cacheActive(session);
      const token = await api.signToken(session);
      expect((await app.request("/api/me", bearer(token))).status).toBe(200);
      // Only the cache knows: the edge must act on the tombstone, not on the API.
      await store.put(tombstoneCacheEntry({ id: session.sid, version: session.version + 1 }, "session_revoked", new Date()), new Date());
      const before = api.counters.introspections;
      const res = await app.request("/api/me", bearer(token));
      expect(api.counters.introspections).toBe(before);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
      expect(await res.json()).toMatchObject({ error: "session_revoked" });
    });

    it("rejects a token from an older generation of a re-enrolled session", async () => {
      const session = api.createSession({ gen: 2, version: 3 });
      await api.cacheActive(session);
      const res = await app.request("/api/me", bearer(await api.signToken({ ...session, gen: 1 })));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "session_revoked" });
    });

    it("on a cache miss asks the API once for many concurrent requests, then relies on the re-filled cache", async () => {
      const session = api.createSession();
      const token = await api.signToken(session);
      const before = api.counters.introspections;
      const responses = await Promise.all(Array.from({ length: 10 }, () => app.request("/api/me", bearer(token))));
      expect(responses.map((res) => res.status)).toEqual(Array(10).fill(200));
      expect(api.counters.introspections - before).toBe(1);
      expect((await app.request("/api/me", bearer(token))).status).toBe(200);
      expect(api.counters.introspections - before).toBe(1);
    });

    it("names the API's reason when it says the session is not active", async () => {
      const expired = api.createSession({ expiresAt: Date.now() - 1_000 });
      const res = await app.request("/api/me", bearer(await api.signToken(expired)));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "session_expired" });

      const revoked = api.createSession({ state: "revoked" });
      const res2 = await app.request("/api/me", bearer(await api.signToken(revoked)));
      expect(await res2.json()).toMatchObject({ error: "session_revoked" });

      const unknown = api.createSession();
      api.sessions.delete(unknown.sid);
      const res3 = await app.request("/api/me", bearer(await api.signToken(unknown)));
      expect(res3.status).toBe(401);
      expect(await res3.json()).toMatchObject({ error: "session_revoked" });
    });

    it("tells a wiped session's device session_reset, from a tombstone and from the API", async () => {
      const wiped = api.createSession();
      await api.cacheActive(wiped);
      const token = await api.signToken(wiped);
      expect((await app.request("/api/me", bearer(token))).status).toBe(200);
      await api.revoke(wiped, "reset");
      const before = api.counters.introspections;
      const res = await app.request("/api/me", bearer(token));
      expect(api.counters.introspections).toBe(before);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token", error_description="[^"]*wipe[^"]*"$/);
      expect(await res.json()).toMatchObject({ error: "session_reset" });

      const uncached = api.createSession({ state: "reset" });
      const fromApi = await app.request("/api/me", bearer(await api.signToken(uncached)));
      expect(api.counters.introspections).toBe(before + 1);
      expect(await fromApi.json()).toMatchObject({ error: "session_reset" });
    });

    it("notes an admitted session in the cache once a minute, not per request, and never a refused one", async () => {
      const session = api.createSession();
      await api.cacheActive(session);
      const token = await api.signToken(session);
      // The next minute: never before the token was issued.
      const minuteStart = Math.ceil(Date.now() / 60_000) * 60_000;
      let clock = minuteStart + 1_000;
      const clocked = buildApp({ ...api.authOptions(), now: () => new Date(clock) });
      await store.takeSeen(100_000);
      // The marks are background work: handed to waitUntil, which this context collects.
      const background: Promise<unknown>[] = [];
      const ctx = { waitUntil: (promise: Promise<unknown>) => void background.push(promise), passThroughOnException() {}, props: {} };
      const send = (t: string) => clocked.request("/api/me", bearer(t), undefined, ctx);
      const settle = () => Promise.all(background.splice(0));

      for (let i = 0; i < 3; i++) expect((await send(token)).status).toBe(200);
      await settle();
      expect(await store.takeSeen(100)).toEqual([{ sessionId: session.sid, seenAt: new Date(minuteStart + 1_000) }]);

      clock = minuteStart + 59_000;
      expect((await send(token)).status).toBe(200);
      await settle();
      expect(await store.takeSeen(100)).toEqual([]);

      clock = minuteStart + 61_000;
      expect((await send(token)).status).toBe(200);
      await settle();
      expect(await store.takeSeen(100)).toEqual([{ sessionId: session.sid, seenAt: new Date(minuteStart + 61_000) }]);

      const revoked = api.createSession();
      await api.cacheActive(revoked);
      const revokedToken = await api.signToken(revoked);
      await api.revoke(revoked);
      expect((await send(revokedToken)).status).toBe(401);
      await settle();
      expect(await store.takeSeen(100)).toEqual([]);
    });

    it("records no marks when recordSeen is false", async () => {
      const session = api.createSession();
      await api.cacheActive(session);
      const quiet = buildApp({ ...api.authOptions(), recordSeen: false });
      await store.takeSeen(100_000);
      const background: Promise<unknown>[] = [];
      const ctx = { waitUntil: (promise: Promise<unknown>) => void background.push(promise), passThroughOnException() {}, props: {} };
      expect((await quiet.request("/api/me", bearer(await api.signToken(session)), undefined, ctx)).status).toBe(200);
      await Promise.all(background);
      expect(await store.takeSeen(100)).toEqual([]);
    });

    it("reads every time from the injected clock: token expiry and the cache lease", async () => {
      const session = api.createSession();
      await api.cacheActive(session, 30);
      const token = await api.signToken(session);
      const start = Date.now();
      const inAnHour = buildApp({ ...api.authOptions(), now: () => new Date(start + 3_600_000) });
      const expired = await inAnHour.request("/api/me", bearer(token));
      expect(expired.status).toBe(401);
      expect(await expired.json()).toMatchObject({ error: "token_expired" });

      const afterLease = buildApp({ ...api.authOptions(), now: () => new Date(start + 31_000) });
      const before = api.counters.introspections;
      expect((await afterLease.request("/api/me", bearer(token))).status).toBe(200);
      expect(api.counters.introspections - before).toBe(1);
    });

    it("applies group changes from the cache on the next request (403 ↔ 200)", async () => {
      const session = api.createSession({ groups: ["staff"] });
      await api.cacheActive(session);
      const token = await api.signToken(session);
      const denied = await app.request("/api/admin", bearer(token));
      expect(denied.status).toBe(403);
      expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer error="insufficient_scope"/);
      expect(await denied.json()).toMatchObject({ error: "insufficient_scope", requiredGroups: ["admin"] });

      session.groups = ["staff", "admin"];
      session.version += 1;
      await api.cacheActive(session);
      expect((await app.request("/api/admin", bearer(token))).status).toBe(200);

      session.groups = ["staff"];
      session.version += 1;
      await api.cacheActive(session);
      expect((await app.request("/api/admin", bearer(token))).status).toBe(403);
    });

    it("requireFactors refuses a session without the factor (403 factor_required) and admits it on the request after a step-up", async () => {
      const session = api.createSession();
      await api.cacheActive(session);
      const token = await api.signToken(session);
      const denied = await app.request("/api/payouts", { method: "POST", ...bearer(token) });
      expect(denied.status).toBe(403);
      expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer error="insufficient_scope"/);
      expect(await denied.json()).toMatchObject({ error: "factor_required", requiredFactors: ["totp"] });

      // The step-up rewrites the entry at a higher version, as the API's SessionChange does.
      session.factors = ["totp"];
      session.version += 1;
      await api.cacheActive(session);
      const before = api.counters.introspections;
      expect((await app.request("/api/payouts", { method: "POST", ...bearer(token) })).status).toBe(200);
      expect(api.counters.introspections).toBe(before);
    });

    it("requireFactors reads the factors from the API's answer on a cache miss", async () => {
      const session = api.createSession({ factors: ["totp"] });
      const res = await app.request("/api/payouts", { method: "POST", ...bearer(await api.signToken(session)) });
      expect(res.status).toBe(200);
    });

    it("checks a token's signature once per process, then serves it from the token cache", async () => {
      const session = api.createSession();
      await api.cacheActive(session);
      const token = await api.signToken(session);
      const before = count("token_verified");
      for (let i = 0; i < 3; i += 1) expect((await app.request("/api/me", bearer(token))).status).toBe(200);
      expect(count("token_verified") - before).toBe(1);
      expect((await app.request("/api/me", bearer(await api.signToken(session)))).status).toBe(200);
      expect(count("token_verified") - before).toBe(2);
    });

    it("still checks the session on every request when the token is cached", async () => {
      const session = api.createSession();
      await api.cacheActive(session);
      const token = await api.signToken(session);
      expect((await app.request("/api/me", bearer(token))).status).toBe(200);
      await api.revoke(session);
      expect((await app.request("/api/me", bearer(token))).status).toBe(401);
    });

    it("asks the API when the cache is down", async () => {
      const session = api.createSession();
      const withDeadCache = buildApp({ ...api.authOptions(), store: await deadStore() });
      const before = api.counters.introspections;
      const res = await withDeadCache.request("/api/me", bearer(await api.signToken(session)));
      expect(res.status).toBe(200);
      expect(api.counters.introspections - before).toBe(1);
    });

    it("answers 503 with Retry-After, never 200 or 401, when neither the cache nor the API can answer", async () => {
      const ownApi = await startFakeApi({ store });
      const session = ownApi.createSession();
      const token = await ownApi.signToken(session);
      const isolated = buildApp({ ...ownApi.authOptions(), store: await deadStore() });
      expect((await isolated.request("/api/me", bearer(token))).status).toBe(200);
      await ownApi.close();
      const res = await isolated.request("/api/me", bearer(token));
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({ error: "temporarily_unavailable" });
    });

    it("answers 503 when the signing keys cannot be fetched for a token not seen before", async () => {
      const ownApi = await startFakeApi({ store });
      const token = await ownApi.signToken(ownApi.createSession());
      const isolated = buildApp(ownApi.authOptions());
      await ownApi.close();
      const res = await isolated.request("/api/me", bearer(token));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).not.toBeNull();
    });

    it("notices a withdrawn key through background refreshes even while every request hits the token cache", async () => {
      const ownApi = await startFakeApi({ store });
      const isolated = buildApp({ ...ownApi.authOptions(), jwks: { cacheMaxAgeMs: 0 } });
      try {
        const session = ownApi.createSession();
        await ownApi.cacheActive(session);
        const token = await ownApi.signToken(session);
        expect((await isolated.request("/api/me", bearer(token))).status).toBe(200);
        await ownApi.rotateKeys();
        // Served from the token cache; the stale key set is refetched in the background.
        expect((await isolated.request("/api/me", bearer(token))).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const res = await isolated.request("/api/me", bearer(token));
        expect(res.status).toBe(401);
      } finally {
        await ownApi.close();
      }
    });

    it("drops cached tokens when the key set changes, so a withdrawn key stops vouching for them", async () => {
      const ownApi = await startFakeApi({ store });
      const ownEvents: SessionAuthEvent[] = [];
      const isolated = buildApp({ ...ownApi.authOptions(), jwks: { cooldownMs: 0 }, onEvent: (event) => ownEvents.push(event) });
      try {
        const session = ownApi.createSession();
        await ownApi.cacheActive(session);
        const oldToken = await ownApi.signToken(session);
        expect((await isolated.request("/api/me", bearer(oldToken))).status).toBe(200);
        expect((await isolated.request("/api/me", bearer(oldToken))).status).toBe(200);

        await ownApi.rotateKeys();
        expect((await isolated.request("/api/me", bearer(await ownApi.signToken(session)))).status).toBe(200);
        expect(ownEvents.some((event) => event.type === "keys_changed")).toBe(true);
        const res = await isolated.request("/api/me", bearer(oldToken));
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: "invalid_token" });
      } finally {
        await ownApi.close();
      }
    });
  });
}
