/**
 * Attacks on what the edge forwards, sent over HTTP to a running edge exactly as an attacker writes
 * them (raw request targets, raw header spellings), with the upstream reading what arrived on the
 * wire: identity headers in other spellings, path tricks past public paths and route groups, and
 * forged proxy headers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRecordingUpstream, type RecordingUpstream } from "@sesame/dev-services";
import { listen, type HttpListener } from "@sesame/service-kit/node";
import { startFakeApiOnTestCache, type FakeApi } from "../test/support/fake-api.ts";
import { rawRequest } from "../test/support/raw-request.ts";
import { createEdgeApp } from "./app.ts";
import { createNodeUpstreamTransport } from "./node-transport.ts";
import type { UpstreamTransport } from "./proxy.ts";

// Over a real listener, the undici transport pipes sockets directly: both carriers face every attack.
const nodeTransport = createNodeUpstreamTransport();
afterAll(() => nodeTransport.close());
const transports: [string, UpstreamTransport | undefined][] = [
  ["Fetch", undefined],
  ["undici", nodeTransport.forward],
];

describe.each(transports)("over the %s transport", (_name, transport) => {
  let stopStore: () => Promise<void>;
  let api: FakeApi;
  let upstream: RecordingUpstream;
  let edge: HttpListener;
  let staffToken: string;
  let adminToken: string;

  beforeAll(async () => {
    ({ api, stopStore } = await startFakeApiOnTestCache());
    upstream = await startRecordingUpstream();
    const app = createEdgeApp({ ...api.authOptions(), upstreamUrl: upstream.url, publicPaths: ["/public/*", "/app/*"], routeGroups: { "/admin/*": ["admin"] }, ...(transport ? { transport } : {}) });
    edge = await listen(app.fetch);
    const staff = api.createSession({ groups: ["staff"] });
    const admin = api.createSession({ groups: ["admin"] });
    await Promise.all([api.cacheActive(staff), api.cacheActive(admin)]);
    staffToken = await api.signToken(staff);
    adminToken = await api.signToken(admin);
  });
  afterAll(async () => {
    await edge?.close();
    await upstream?.close();
    await api?.close();
    await stopStore?.();
  });

  const send = (path: string, headers: Record<string, string> = {}) => rawRequest(edge.url, path, headers);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const lastForwarded = () => upstream.requests.at(-1)!;

  /** Header names an upstream could read as x-sesame-*: `_` for `-` (CGI/WSGI/PHP), any case, other punctuation. */
  const SPOOFED_IDENTITY_HEADERS = {
    "X-Sesame_User_Id": "forged-user",
    x_sesame_groups: "admin",
    "X-Sesame-Session_Id": "forged-session",
    X_SESAME_TENANT_ID: "forged-tenant",
    "x.sesame.groups": "admin",
    "X-Sesame-Anything": "1",
  };
  const isIdentitySpelling = (name: string) => /^x[^a-z0-9]sesame[^a-z0-9]/i.test(name);

  describe("identity headers in other spellings", () => {
    it("never reach the upstream on a public path without a token", async () => {
      const res = await send("/public/page", SPOOFED_IDENTITY_HEADERS);
      expect(res.status).toBe(200);
      const forwarded = lastForwarded();
      expect(forwarded.rawTarget).toBe("/public/page");
      expect(forwarded.rawHeaderNames.filter(isIdentitySpelling)).toEqual([]);
    });

    it("never reach the upstream on a protected path: only the edge's own four arrive", async () => {
      const res = await send("/orders", { ...SPOOFED_IDENTITY_HEADERS, ...bearer(staffToken) });
      expect(res.status).toBe(200);
      const forwarded = lastForwarded();
      expect(forwarded.rawHeaderNames.filter(isIdentitySpelling).map((name) => name.toLowerCase()).sort()).toEqual([
        "x-sesame-groups",
        "x-sesame-session-id",
        "x-sesame-tenant-id",
        "x-sesame-user-id",
      ]);
      expect(forwarded.headers["x-sesame-groups"]).toBe("staff");
    });
  });

  describe("path tricks", () => {
    const refused = [
      "/app/..%2f%zz%2f..%2fadmin/secret.txt",
      "/public/..;/admin/x",
      "/admin;x/y",
      "/public/..%2fadmin/x",
      "/public/..%2Fadmin/x",
      "/public/..%5cadmin/x",
      "/public/..%5Cadmin/x",
      "/public/%00/x",
      "/public/%252e%252e/admin/x",
      "/public/%25",
      "/public/%zz",
      "/public/%C0%AF",
    ];
    it.each(refused)("refuses %s with 400 before any check, and forwards nothing", async (path) => {
      const before = upstream.requests.length;
      for (const headers of [{}, bearer(adminToken)]) {
        const res = await send(path, headers);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ error: "invalid_path" });
      }
      expect(upstream.requests.length).toBe(before);
    });

    it("treats a dot-segment escape from a public prefix as the private path it resolves to", async () => {
      const before = upstream.requests.length;
      for (const path of ["/public/../admin/x", "/public/%2e%2e/admin/x", "/public/.%2E/admin/x", "/app/x/../../admin/x"]) {
        expect((await send(path)).status, path).toBe(401);
        expect((await send(path, bearer(staffToken))).status, path).toBe(403);
      }
      expect(upstream.requests.length).toBe(before);
    });

    it("forwards exactly the path it checked", async () => {
      const cases: [sent: string, forwarded: string][] = [
        ["/public/%2e%2e/admin/x", "/admin/x"],
        ["//admin///x/./y/../z", "/admin/x/z"],
        ["/admin/caf%c3%a9/a%20b", "/admin/caf%C3%A9/a%20b"],
        ["/%61dmin/x?q=%2F", "/admin/x?q=%2F"],
      ];
      for (const [sent, forwarded] of cases) {
        const res = await send(sent, bearer(adminToken));
        expect(res.status, sent).toBe(200);
        expect(lastForwarded().rawTarget, sent).toBe(forwarded);
      }
    });

    it("applies route groups to the normalised path in any letter case", async () => {
      const before = upstream.requests.length;
      for (const path of ["/ADMIN/x", "/%41dmin/x", "/Admin//x"]) expect((await send(path, bearer(staffToken))).status, path).toBe(403);
      expect(upstream.requests.length).toBe(before);
    });
  });

  describe("proxy headers from the client", () => {
    it("appends the peer to X-Forwarded-For and Forwarded and replaces X-Real-IP", async () => {
      const res = await send("/public/p", { "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9", Forwarded: "for=203.0.113.9", "X-Forwarded-Host": "evil.example" });
      expect(res.status).toBe(200);
      const { headers } = lastForwarded();
      expect(headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
      expect(headers["x-real-ip"]).toBe("127.0.0.1");
      expect(headers.forwarded).toBe(`for=203.0.113.9, for=127.0.0.1;host="${new URL(edge.url).host}";proto=http`);
      expect(headers["x-forwarded-host"]).toBe(new URL(edge.url).host);
      expect(headers["x-forwarded-proto"]).toBe("http");
    });

    it("sets them from the peer alone when the client sent none", async () => {
      await send("/public/p");
      const { headers } = lastForwarded();
      expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(headers["x-real-ip"]).toBe("127.0.0.1");
      expect(headers.forwarded).toBe(`for=127.0.0.1;host="${new URL(edge.url).host}";proto=http`);
    });
  });
});
