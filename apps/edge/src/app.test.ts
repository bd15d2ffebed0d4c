import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpstashCache, type SessionCacheStore } from "@sesame/cache";
import { availableBackends } from "@sesame/cache/testing";
import { closedPort, startRecordingUpstream, type RecordingUpstream } from "@sesame/dev-services";
import { startFakeApi, type FakeApi, type FakeSession } from "../test/support/fake-api.ts";
import { createEdgeApp, type EdgeAppConfig } from "./app.ts";
import { createNodeUpstreamTransport } from "./node-transport.ts";
import type { UpstreamTransport } from "./proxy.ts";

// Every forwarding rule holds whatever carries the bytes: Fetch (workerd) and undici's pool (Node).
const nodeTransport = createNodeUpstreamTransport();
afterAll(() => nodeTransport.close());
const transports: [string, UpstreamTransport | undefined][] = [
  ["Fetch", undefined],
  ["undici", nodeTransport.forward],
];

describe.each(transports)("the edge service (%s transport)", (_name, transport) => {
  let stopStore: () => Promise<void>;
  let store: SessionCacheStore;
  let api: FakeApi;
  let upstream: RecordingUpstream;
  let app: ReturnType<typeof createEdgeApp>;
  let session: FakeSession;
  let token: string;
  let config: EdgeAppConfig;

  beforeAll(async () => {
    const backend = await availableBackends(process.env)[0]!.start();
    const cache = backend.open();
    store = cache.store;
    stopStore = backend.stop;
    api = await startFakeApi({ store });
    upstream = await startRecordingUpstream();
    config = {
      ...api.authOptions(),
      upstreamUrl: upstream.url,
      publicPaths: ["/public/*", "/status"],
      routeGroups: { "/admin/*": ["admin"] },
      ...(transport ? { transport } : {}),
      routeFactors: { "/payouts/*": ["totp"] },
    };
    app = createEdgeApp(config);
    session = api.createSession({ groups: ["staff", "ops"] });
    await api.cacheActive(session);
    token = await api.signToken(session);
  });
  afterAll(async () => {
    await upstream?.close();
    await api?.close();
    await stopStore?.();
  });

  const auth = (extra: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${token}`, ...extra } });
  const lastForwarded = () => upstream.requests.at(-1)!;
  async function deadStore(): Promise<SessionCacheStore> {
    return createUpstashCache({ kind: "upstash", url: `http://127.0.0.1:${await closedPort()}`, token: "t", prefix: "dead:", timeoutMs: 200 }).store;
  }

  it("answers /healthz without any dependency", async () => {
    const res = await createEdgeApp({ ...config, store: await deadStore() }).request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("is ready when the cache and the JWKS answer", async () => {
    const res = await app.request("/readyz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { cache: "ok", jwks: "ok" } });
  });

  it("names the dependency that fails /readyz, with its status and no error text", async () => {
    const noCache = await createEdgeApp({ ...config, store: await deadStore() }).request("/readyz");
    expect(noCache.status).toBe(503);
    expect(await noCache.json()).toEqual({ status: "unavailable", checks: { cache: "unavailable", jwks: "ok" } });

    const deadJwksPort = await closedPort();
    const noJwks = await createEdgeApp({ ...config, jwksUrl: `http://127.0.0.1:${deadJwksPort}/jwks` }).request("/readyz");
    expect(noJwks.status).toBe(503);
    const text = await noJwks.text();
    expect(JSON.parse(text)).toEqual({ status: "unavailable", checks: { cache: "ok", jwks: "unavailable" } });
    expect(text).not.toContain(String(deadJwksPort));
  });

  it("answers /_sesame/whoami with the verified identity, and never proxies /_sesame/*", async () => {
    const before = upstream.requests.length;
    const res = await app.request("/_sesame/whoami", auth());
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ userId: session.uid, sessionId: session.sid, tenantId: session.tid, groups: ["staff", "ops"], factors: [] });
    expect((await app.request("/_sesame/whoami")).status).toBe(401);
    expect((await app.request("/_sesame/other", auth())).status).toBe(404);
    expect(upstream.requests.length).toBe(before);
  });

  it("proxies a checked request with the identity headers, replacing any the client sent", async () => {
    const res = await app.request("/api/items?page=2&q=a%20b", auth({ "x-sesame-user-id": "someone-else", "x-sesame-groups": "admin", "x-sesame-anything": "1" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upstream: true, path: "/api/items" });
    expect(res.headers.get("x-upstream")).toBe("yes");
    const forwarded = lastForwarded();
    expect(forwarded.path).toBe("/api/items?page=2&q=a%20b");
    expect(forwarded.headers).toMatchObject({
      "x-sesame-user-id": session.uid,
      "x-sesame-session-id": session.sid,
      "x-sesame-tenant-id": session.tid,
      "x-sesame-groups": "staff,ops",
      authorization: `Bearer ${token}`,
    });
    expect(forwarded.headers["x-sesame-anything"]).toBeUndefined();
  });

  it("preserves method and body, and strips hop-by-hop headers", async () => {
    const res = await app.request("/api/items", {
      method: "PUT",
      body: JSON.stringify({ name: "thing" }),
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        connection: "x-private-hop",
        "x-private-hop": "secret",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "x-kept": "1",
      },
    });
    expect(res.status).toBe(200);
    const forwarded = lastForwarded();
    expect(forwarded.method).toBe("PUT");
    expect(forwarded.body).toBe(JSON.stringify({ name: "thing" }));
    expect(forwarded.headers["content-type"]).toBe("application/json");
    expect(forwarded.headers["x-kept"]).toBe("1");
    expect(forwarded.headers["x-private-hop"]).toBeUndefined();
    expect(forwarded.headers["proxy-authorization"]).toBeUndefined();
    expect(forwarded.headers["keep-alive"]).toBeUndefined();
  });

  it("passes upstream redirects back instead of following them", async () => {
    const res = await app.request("/redirect", auth());
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://127.0.0.1:1/elsewhere");
  });

  it("refuses unauthenticated requests to private paths without reaching the upstream", async () => {
    const before = upstream.requests.length;
    const res = await app.request("/api/items");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(upstream.requests.length).toBe(before);
  });

  it("proxies public paths without a token, stripping client-sent identity headers", async () => {
    for (const path of ["/status", "/public/docs/a.html"]) {
      const res = await app.request(path, { headers: { "x-sesame-user-id": "forged", "x-sesame-groups": "admin" } });
      expect(res.status).toBe(200);
      expect(lastForwarded().path).toBe(path);
      expect(Object.keys(lastForwarded().headers).filter((name) => name.startsWith("x-sesame-"))).toEqual([]);
    }
  });

  it("refuses encoded traversals out of a public prefix, and does not stretch exact public paths", async () => {
    const before = upstream.requests.length;
    expect((await app.request("/public/..%2Fapi/items")).status).toBe(400);
    expect((await app.request("/statusx")).status).toBe(401);
    expect(upstream.requests.length).toBe(before);
  });

  it("requires the configured groups per path, in any letter case", async () => {
    const before = upstream.requests.length;
    const denied = await app.request("/admin/users", auth());
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: "insufficient_scope", requiredGroups: ["admin"] });
    expect((await app.request("/ADMIN/users", auth())).status).toBe(403);
    expect(upstream.requests.length).toBe(before);

    const admin = api.createSession({ groups: ["admin"] });
    await api.cacheActive(admin);
    const res = await app.request("/admin/users", { headers: { authorization: `Bearer ${await api.signToken(admin)}` } });
    expect(res.status).toBe(200);
    expect(lastForwarded().headers["x-sesame-groups"]).toBe("admin");
  });

  it("requires the configured factors per path: 403 factor_required until the session has them", async () => {
    const before = upstream.requests.length;
    const denied = await app.request("/payouts/42", auth());
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: "factor_required", requiredFactors: ["totp"] });
    expect(upstream.requests.length).toBe(before);

    const stepped = api.createSession({ factors: ["totp"] });
    await api.cacheActive(stepped);
    const res = await app.request("/payouts/42", { headers: { authorization: `Bearer ${await api.signToken(stepped)}` } });
    expect(res.status).toBe(200);
    expect(lastForwarded().path).toBe("/payouts/42");
  });

  it("answers 401 session_revoked, without reaching the upstream, once the session is revoked", async () => {
    const doomed = api.createSession();
    await api.cacheActive(doomed);
    const doomedToken = await api.signToken(doomed);
    expect((await app.request("/api/x", { headers: { authorization: `Bearer ${doomedToken}` } })).status).toBe(200);
    await api.revoke(doomed);
    const before = upstream.requests.length;
    const res = await app.request("/api/x", { headers: { authorization: `Bearer ${doomedToken}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "session_revoked" });
    expect(upstream.requests.length).toBe(before);
  });

  it("answers 502 when the upstream is down", async () => {
    const res = await createEdgeApp({ ...config, upstreamUrl: `http://127.0.0.1:${await closedPort()}` }).request("/api/x", auth());
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: "bad_gateway" });
  });

  it("prefixes forwarded paths with the upstream URL's own path", async () => {
    const res = await createEdgeApp({ ...config, upstreamUrl: `${upstream.url}/base/` }).request("/api/x?y=1", auth());
    expect(res.status).toBe(200);
    expect(lastForwarded().path).toBe("/base/api/x?y=1");
  });
});
