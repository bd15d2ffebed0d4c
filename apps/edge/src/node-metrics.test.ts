/**
 * The Node edge's metrics: the edge app wired as node.ts wires it (events into the metrics, its
 * fetch wrapped), driven with real requests over the test cache, then scraped.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionCacheStore } from "@sesame/cache";
import { availableBackends } from "@sesame/cache/testing";
import { startRecordingUpstream, type RecordingUpstream } from "@sesame/dev-services";
import { startFakeApi, type FakeApi } from "../test/support/fake-api.ts";
import { createEdgeApp } from "./app.ts";
import { EDGE_METRICS_PATH, createEdgeMetrics } from "./node-metrics.ts";

const TOKEN = randomBytes(32).toString("base64url");

/** Sum of the series of `name` whose labels include `labels`. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => wanted.every((pair) => line.includes(pair)))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

describe("the Node edge's /_sesame/metrics", () => {
  let stopStore: () => Promise<void>;
  let store: SessionCacheStore;
  let api: FakeApi;
  let upstream: RecordingUpstream;
  let fetchEdge: (request: Request) => Promise<Response>;
  let fetchWithoutToken: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    const backend = await availableBackends(process.env)[0]!.start();
    store = backend.open().store;
    stopStore = backend.stop;
    api = await startFakeApi({ store });
    upstream = await startRecordingUpstream();
    const metrics = createEdgeMetrics();
    const app = createEdgeApp({ ...api.authOptions(), store, upstreamUrl: upstream.url, onEvent: metrics.onEvent });
    fetchEdge = metrics.wrapFetch(app.fetch, TOKEN);
    fetchWithoutToken = createEdgeMetrics().wrapFetch(app.fetch, null);
  });
  afterAll(async () => {
    await upstream?.close();
    await api?.close();
    await stopStore?.();
  });

  const call = (path: string, token?: string) => fetchEdge(new Request(`http://edge.test${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}));
  async function scrape(): Promise<string> {
    const res = await call(EDGE_METRICS_PATH, TOKEN);
    expect(res.status).toBe(200);
    return res.text();
  }

  it("counts decisions by reason, token and session cache hits, introspections and statuses", async () => {
    const cached = api.createSession();
    await api.cacheActive(cached);
    const cachedToken = await api.signToken(cached);
    const uncached = api.createSession();
    const uncachedToken = await api.signToken(uncached);

    expect((await call("/items", cachedToken)).status).toBe(200);
    expect((await call("/items", cachedToken)).status).toBe(200);
    expect((await call("/items", uncachedToken)).status).toBe(200);
    expect((await call("/items")).status).toBe(401);
    await api.revoke(cached);
    expect((await call("/items", cachedToken)).status).toBe(401);

    const text = await scrape();
    expect(value(text, "sesame_edge_decisions_total", { decision: "allowed" })).toBe(3);
    expect(value(text, "sesame_edge_decisions_total", { decision: "missing_token" })).toBe(1);
    expect(value(text, "sesame_edge_decisions_total", { decision: "session_revoked" })).toBe(1);
    // The cached session's token is verified once and then found in the token cache.
    expect(value(text, "sesame_edge_token_cache_total", { result: "miss" })).toBe(2);
    expect(value(text, "sesame_edge_token_cache_total", { result: "hit" })).toBe(2);
    expect(value(text, "sesame_edge_session_cache_total", { result: "hit" })).toBe(3);
    expect(value(text, "sesame_edge_session_cache_total", { result: "miss" })).toBe(1);
    expect(value(text, "sesame_edge_introspections_total", { result: "sent" })).toBe(1);
    expect(value(text, "sesame_edge_requests_total", { status: "200" })).toBe(3);
    expect(value(text, "sesame_edge_requests_total", { status: "401" })).toBe(2);
  });

  it("refuses a scrape without the token", async () => {
    expect((await call(EDGE_METRICS_PATH)).status).toBe(401);
    expect((await call(EDGE_METRICS_PATH, randomBytes(32).toString("base64url"))).status).toBe(401);
  });

  it("is not served without SESAME_METRICS_TOKEN: the path is the edge app's, which refuses it", async () => {
    const res = await fetchWithoutToken(new Request(`http://edge.test${EDGE_METRICS_PATH}`));
    expect(res.status).not.toBe(200);
    expect(await res.text()).not.toContain("sesame_edge_");
  });
});
