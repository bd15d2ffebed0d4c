/**
 * The worker entry in workerd itself (Miniflare 4): bundled with esbuild for the workerd conditions,
 * no nodejs_compat, talking over real sockets to the fake API, the Upstash shim and an upstream.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { tombstoneCacheEntry } from "@sesame/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { startRecordingUpstream, type RecordingUpstream } from "@sesame/dev-services";
import { availableBackends } from "@sesame/cache/testing";
import type { SessionCacheStore } from "@sesame/cache";
import { startFakeApi, type FakeApi } from "../test/support/fake-api.ts";

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./worker.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // @sesame/source: the workspace packages from their sources (the same condition as tsconfig.base.json).
    conditions: ["@sesame/source", "workerd", "worker", "browser"],
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

describe("the edge on workerd (Miniflare)", () => {
  let stopStore: () => Promise<void>;
  let store: SessionCacheStore;
  let api: FakeApi;
  let upstream: RecordingUpstream;
  let mf: Miniflare;
  let script: string;

  beforeAll(async () => {
    const backend = await availableBackends(process.env)[0]!.start();
    const config = backend.config();
    if (config.kind !== "upstash") throw new Error("the Workers entry reads an Upstash cache");
    const cache = backend.open({ prefix: config.prefix });
    stopStore = backend.stop;
    store = cache.store;
    api = await startFakeApi({ store: cache.store });
    upstream = await startRecordingUpstream();
    script = await bundleWorker();
    mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: "2025-06-01",
      bindings: {
        SESAME_API_URL: api.url,
        SESAME_INTROSPECTION_SECRET: api.secret,
        UPSTASH_REDIS_REST_URL: config.url,
        UPSTASH_REDIS_REST_TOKEN: config.token,
        SESAME_CACHE_PREFIX: config.prefix,
        UPSTREAM_URL: upstream.url,
      },
    });
    await mf.ready;
  }, 120_000);
  afterAll(async () => {
    await mf?.dispose();
    await upstream?.close();
    await api?.close();
    await stopStore?.();
  });

  it("bundles without any node: import", () => {
    expect(script).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("admits a valid token and forwards the identity to the upstream", async () => {
    const session = api.createSession({ groups: ["staff"] });
    await api.cacheActive(session);
    const before = api.counters.introspections;
    const res = await mf.dispatchFetch("http://edge.test/api/items?x=1", {
      headers: { authorization: `Bearer ${await api.signToken(session)}`, "x-sesame-user-id": "forged" },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    // Answered from the Upstash cache, not by asking the API.
    expect(api.counters.introspections).toBe(before);
    expect(upstream.requests.at(-1)).toMatchObject({
      path: "/api/items?x=1",
      headers: { "x-sesame-user-id": session.uid, "x-sesame-session-id": session.sid, "x-sesame-groups": "staff" },
    });
  });

  it("asks the API on a cache miss and answers whoami", async () => {
    const session = api.createSession();
    const before = api.counters.introspections;
    const res = await mf.dispatchFetch("http://edge.test/_sesame/whoami", { headers: { authorization: `Bearer ${await api.signToken(session)}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sessionId: session.sid, userId: session.uid });
    expect(api.counters.introspections - before).toBe(1);
  });

  it("rejects a session with a tombstone in the cache with 401 session_revoked", async () => {
    const session = api.createSession();
    await api.cacheActive(session);
    const token = await api.signToken(session);
    const ok = await mf.dispatchFetch("http://edge.test/api/x", { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    // Only the cache says so (the fake API still thinks it active): the worker read the tombstone.
    await store.put(tombstoneCacheEntry({ id: session.sid, version: session.version + 1 }, "session_revoked", new Date()), new Date());
    const before = upstream.requests.length;
    const res = await mf.dispatchFetch("http://edge.test/api/x", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(await res.json()).toMatchObject({ error: "session_revoked" });
    expect(upstream.requests.length).toBe(before);
  });

  it("answers 500 misconfigured once it found that its audience differs from the API's", async () => {
    const wrong = new Miniflare({
      modules: true,
      script,
      compatibilityDate: "2025-06-01",
      bindings: {
        SESAME_API_URL: api.url,
        SESAME_AUDIENCE: "billing",
        SESAME_INTROSPECTION_SECRET: api.secret,
        UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
        UPSTASH_REDIS_REST_TOKEN: "unused",
        UPSTREAM_URL: upstream.url,
      },
    });
    try {
      // The first request starts the comparison in the background; later ones see its outcome.
      let res: Awaited<ReturnType<typeof wrong.dispatchFetch>>;
      do {
        res = await wrong.dispatchFetch("http://edge.test/api/x");
        await res.arrayBuffer();
      } while (res.status !== 500);
      const again = await wrong.dispatchFetch("http://edge.test/api/x");
      expect(again.status).toBe(500);
      expect(await again.json()).toEqual({ error: "misconfigured", message: "The edge is not configured" });
    } finally {
      await wrong.dispose();
    }
  });

  it("rejects a forged token", async () => {
    const res = await mf.dispatchFetch("http://edge.test/api/x", { headers: { authorization: "Bearer eyJhbGciOiJub25lIn0.e30." } });
    expect(res.status).toBe(401);
    await res.arrayBuffer();
  });
});
