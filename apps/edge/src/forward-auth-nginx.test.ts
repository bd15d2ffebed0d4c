/**
 * Forward auth behind a real nginx (Debian's package; `.ci/run` installs it): nginx's `auth_request`
 * asks the edge's `/_sesame/auth`, then proxies to a recording upstream with the edge's identity
 * headers — the README's snippet, with ports filled in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpstashCache } from "@sesame/cache";
import { INTROSPECTION_PATH } from "@sesame/core";
import { closedPort, startRecordingUpstream, type RecordingUpstream } from "@sesame/dev-services";
import { listen, type HttpListener } from "@sesame/service-kit/node";
import { startFakeApiOnTestCache, type FakeApi, type FakeSession } from "../test/support/fake-api.ts";
import { forwardAuthServer, startNginx, type NginxHandle } from "../test/support/nginx.ts";
import { createEdgeApp } from "./app.ts";

let stopStore: () => Promise<void>;
let api: FakeApi;
let upstream: RecordingUpstream;
let edge: HttpListener;
let nginx: NginxHandle;
let staff: FakeSession;
let staffToken: string;

beforeAll(async () => {
  ({ api, stopStore } = await startFakeApiOnTestCache());
  upstream = await startRecordingUpstream();
  const app = createEdgeApp({ ...api.authOptions(), upstreamUrl: "http://127.0.0.1:9/unused", publicPaths: ["/public/*"], routeGroups: { "/admin/*": ["admin"] } });
  edge = await listen(app.fetch);
  nginx = await startNginx((port) => forwardAuthServer({ port, edgeUrl: edge.url, upstreamUrl: upstream.url }));
  staff = api.createSession({ groups: ["staff"] });
  await api.cacheActive(staff);
  staffToken = await api.signToken(staff);
});
afterAll(async () => {
  await nginx?.close();
  await edge?.close();
  await upstream?.close();
  await api?.close();
  await stopStore?.();
});

const viaNginx = (path: string, headers: Record<string, string> = {}) => fetch(`${nginx.url}${path}`, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const lastForwarded = () => upstream.requests.at(-1)!;

describe("nginx auth_request → the edge's /_sesame/auth", () => {
  it("lets an allowed request through with the edge's identity headers in place of the client's", async () => {
    const res = await viaNginx("/api/items?page=2", { ...bearer(staffToken), "x-sesame-user-id": "forged", "x-sesame-groups": "admin" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upstream: true, path: "/api/items" });
    expect(lastForwarded().path).toBe("/api/items?page=2");
    expect(lastForwarded().headers).toMatchObject({
      "x-sesame-user-id": staff.uid,
      "x-sesame-session-id": staff.sid,
      "x-sesame-tenant-id": staff.tid,
      "x-sesame-groups": "staff",
    });
  });

  it("refuses a revoked session on its next request, with the edge's challenge, and the upstream never sees it", async () => {
    const doomed = api.createSession();
    await api.cacheActive(doomed);
    const token = await api.signToken(doomed);
    expect((await viaNginx("/api/x", bearer(token))).status).toBe(200);
    await api.revoke(doomed);
    const before = upstream.requests.length;
    const res = await viaNginx("/api/x", bearer(token));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(upstream.requests.length).toBe(before);
  });

  it("applies route groups to the URI nginx states, after the edge's normalisation", async () => {
    const before = upstream.requests.length;
    expect((await viaNginx("/admin/users", bearer(staffToken))).status).toBe(403);
    expect((await viaNginx("/ADMIN/users", bearer(staffToken))).status).toBe(403);
    expect((await viaNginx("/public/%2e%2e/admin/users", bearer(staffToken))).status).toBe(403);
    expect(upstream.requests.length).toBe(before);

    const admin = api.createSession({ groups: ["admin"] });
    await api.cacheActive(admin);
    const res = await viaNginx("/admin/users", bearer(await api.signToken(admin)));
    expect(res.status).toBe(200);
    expect(lastForwarded().headers["x-sesame-groups"]).toBe("admin");
  });

  it("passes public paths without a token and without any client-sent identity header", async () => {
    const res = await viaNginx("/public/logo.png", { "x-sesame-user-id": "forged", "x-sesame-groups": "admin" });
    expect(res.status).toBe(200);
    expect(Object.keys(lastForwarded().headers).filter((name) => name.startsWith("x-sesame-"))).toEqual([]);
  });

  it("answers 503 with Retry-After when neither the cache nor the API can answer", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const stranded = createEdgeApp({
      ...api.authOptions(),
      store: createUpstashCache({ kind: "upstash", url: dead, token: "t", prefix: "dead:", timeoutMs: 200 }).store,
      introspection: { ...api.authOptions().introspection, url: `${dead}${INTROSPECTION_PATH}` },
      upstreamUrl: "http://127.0.0.1:9/unused",
    });
    const strandedEdge = await listen(stranded.fetch);
    const strandedNginx = await startNginx((port) => forwardAuthServer({ port, edgeUrl: strandedEdge.url, upstreamUrl: upstream.url }));
    try {
      const before = upstream.requests.length;
      const res = await fetch(`${strandedNginx.url}/api/x`, { headers: bearer(staffToken) });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(strandedNginx.errorLog()).toContain("auth request unexpected status: 503");
      expect(upstream.requests.length).toBe(before);
    } finally {
      await strandedNginx.close();
      await strandedEdge.close();
    }
  });
});
