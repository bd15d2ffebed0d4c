/**
 * With the API unreachable the edge answers 503 (fail closed), and its default timeouts keep that
 * answer under one second: a request waits for the JWKS fetch (cold edge) or for introspection
 * (uncached session), never both. The timeouts are asserted as configured, not measured.
 */
import { INTROSPECTION_PATH, JWKS_PATH } from "@sesame/core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { closedPort, startSilentServer, type SilentServer } from "@sesame/dev-services";
import { startFakeApiOnTestCache, type FakeApi } from "../test/support/fake-api.ts";
import { createEdgeApp } from "./app.ts";
import { DEFAULT_INTROSPECTION_TIMEOUT_MS, INTROSPECTION_DEADLINE_SLACK_MS } from "./introspect.ts";
import { DEFAULT_JWKS_TIMEOUT_MS } from "./verify/jwks.ts";

let stopStore: () => Promise<void>;
let api: FakeApi;
let silent: SilentServer;
let baseOptions: Omit<ReturnType<FakeApi["authOptions"]>, "introspection"> & { introspection: { url: string; secret: string } };

beforeAll(async () => {
  ({ api, stopStore } = await startFakeApiOnTestCache());
  silent = await startSilentServer();
  // The edge's own defaults: no timeout given anywhere.
  const { timeoutMs: _timeoutMs, ...introspection } = api.authOptions().introspection;
  baseOptions = { ...api.authOptions(), introspection };
});
afterAll(async () => {
  await silent?.close();
  await api?.close();
  await stopStore?.();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const upstreamUrl = "http://127.0.0.1:9/never-reached";

describe("failing closed when the API cannot answer", () => {
  it("has default timeouts that fit a one-second answer", () => {
    expect(DEFAULT_INTROSPECTION_TIMEOUT_MS + INTROSPECTION_DEADLINE_SLACK_MS).toBeLessThan(1_000);
    expect(DEFAULT_JWKS_TIMEOUT_MS).toBeLessThan(1_000);
  });

  it("answers 503 for a token it has never seen when the JWKS does not answer, within the default JWKS timeout", async () => {
    const timeouts = vi.spyOn(AbortSignal, "timeout");
    const app = createEdgeApp({ ...baseOptions, jwksUrl: `${silent.url}${JWKS_PATH}`, upstreamUrl });
    const res = await app.request("/x", bearer(await api.signToken(api.createSession())));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(timeouts.mock.calls.map(([ms]) => ms)).toEqual([DEFAULT_JWKS_TIMEOUT_MS]);
  });

  it("answers 503 for an uncached session when introspection does not answer, within the default introspection timeout", async () => {
    const app = createEdgeApp({ ...baseOptions, introspection: { ...baseOptions.introspection, url: `${silent.url}${INTROSPECTION_PATH}` }, upstreamUrl });
    const warmSession = api.createSession();
    await api.cacheActive(warmSession);
    // Keys fetched once from the live API, so only introspection can hold the next request up.
    expect((await app.request("/_sesame/whoami", bearer(await api.signToken(warmSession)))).status).toBe(200);

    const timeouts = vi.spyOn(AbortSignal, "timeout");
    const res = await app.request("/x", bearer(await api.signToken(api.createSession())));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "temporarily_unavailable" });
    // The other call is the cache read's own deadline (the cache is up here and answers at once).
    expect(timeouts.mock.calls.map(([ms]) => ms)).toContain(DEFAULT_INTROSPECTION_TIMEOUT_MS);
  });

  it("answers 503 when nothing listens on the API's port at all", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const cold = createEdgeApp({ ...baseOptions, jwksUrl: `${dead}${JWKS_PATH}`, introspection: { ...baseOptions.introspection, url: `${dead}${INTROSPECTION_PATH}` }, upstreamUrl });
    const res = await cold.request("/x", bearer(await api.signToken(api.createSession())));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
  });
});
