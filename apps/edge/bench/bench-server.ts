/**
 * One measured server per bench row, started by edge.bench.ts in its own process. Reads the row and
 * the services' addresses from BENCH_ROW / BENCH_SERVICES; prints one JSON line when listening.
 */
import { Hono } from "hono";
import { proxy } from "hono/proxy";
import { createLocalJWKSet } from "jose";
import postgres from "postgres";
import { DEFAULT_CACHE_TIMEOUT_MS, type SessionCacheStore } from "@sesame/cache";
import { createCache } from "@sesame/cache/node";
import { edgeOptionsForApi } from "../src/api-options.ts";
import { createEdgeApp } from "../src/app.ts";
import { sessionAuth, type SessionVariables } from "../src/middleware.ts";
import { createAccessTokenVerifier } from "@sesame/core";
import { listen } from "@sesame/service-kit/node";

interface Services {
  sessionId: string;
  apiUrl: string;
  audience: string;
  introspectionSecret: string;
  redisUrl: string;
  upstash: { url: string; token: string };
  prefix: string;
  upstreamUrl: string;
  databaseUrl: string;
  table: string;
}

const row = process.env.BENCH_ROW ?? "";
const services = JSON.parse(process.env.BENCH_SERVICES ?? "{}") as Services;

const api = edgeOptionsForApi({ apiUrl: services.apiUrl, secret: services.introspectionSecret, audience: services.audience });
const authOptions = (store: SessionCacheStore) => ({ ...api, store });
const { prefix } = services;
const tcpStore = () => createCache({ kind: "tcp", url: services.redisUrl, prefix, timeoutMs: DEFAULT_CACHE_TIMEOUT_MS }).store;
const upstashStore = () => createCache({ kind: "upstash", ...services.upstash, prefix, timeoutMs: DEFAULT_CACHE_TIMEOUT_MS }).store;

function protectedApp(store: SessionCacheStore) {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use("*", sessionAuth(authOptions(store)));
  app.get("*", (c) => c.text("ok"));
  return app;
}

async function buildRow(): Promise<{ fetch: (request: Request) => Response | Promise<Response> }> {
  switch (row) {
    case "bare":
      return new Hono().get("*", (c) => c.text("ok"));
    case "jose": {
      const jwks = (await (await fetch(api.jwksUrl)).json()) as Parameters<typeof createLocalJWKSet>[0];
      const verify = createAccessTokenVerifier({ issuer: api.issuer, audience: api.audience, getKey: createLocalJWKSet(jwks) });
      return new Hono().get("*", async (c) => {
        const result = await verify((c.req.header("authorization") ?? "").slice(7), new Date());
        return result.ok ? c.text("ok") : c.text(result.reason, 401);
      });
    }
    case "edge-tcp":
      return protectedApp(tcpStore());
    case "edge-upstash":
      return protectedApp(upstashStore());
    case "postgres": {
      const sql = postgres(services.databaseUrl, { max: 10 });
      return new Hono().get("*", async (c) => {
        const rows = await sql`select 1 from ${sql(services.table)} where id = ${services.sessionId}`;
        return rows.length === 1 ? c.text("ok") : c.text("missing", 401);
      });
    }
    case "proxy-bare":
      return new Hono().all("*", (c) => proxy(`${services.upstreamUrl}${new URL(c.req.url).pathname}`, { raw: c.req.raw }));
    case "proxy-edge":
      return createEdgeApp({ ...authOptions(tcpStore()), upstreamUrl: services.upstreamUrl });
    default:
      throw new Error(`unknown BENCH_ROW "${row}"`);
  }
}

const app = await buildRow();
const server = await listen(app.fetch);
console.log(JSON.stringify({ ready: true, url: server.url }));
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
