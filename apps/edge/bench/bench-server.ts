/**
 * One measured server per bench row, started by edge.bench.ts in its own process. Reads the row and
 * the services' addresses from BENCH_ROW / BENCH_SERVICES; prints one JSON line when listening.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { Hono } from "hono";
import { Pool } from "undici";
import { proxy } from "hono/proxy";
import { createLocalJWKSet } from "jose";
import postgres from "postgres";
import { DEFAULT_CACHE_TIMEOUT_MS, createUpstashCache, type SessionCacheStore } from "@sesame/cache";
import { createCache } from "@sesame/cache/node";
import { edgeOptionsForApi } from "../src/api-options.ts";
import { createEdgeApp } from "../src/app.ts";
import { createNodeUpstreamTransport } from "../src/node-transport.ts";
import { sessionAuth, type SessionVariables } from "../src/middleware.ts";
import { createAccessTokenVerifier } from "@sesame/core";
import { listen } from "@sesame/service-kit/node";
import { forwardAuthServer, plainProxyServer, startNginx } from "../test/support/nginx.ts";

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
// The client edge runtimes use: plain fetch.
const upstashFetchStore = () => createUpstashCache({ kind: "upstash", ...services.upstash, prefix, timeoutMs: DEFAULT_CACHE_TIMEOUT_MS }).store;

function protectedApp(store: SessionCacheStore, recordSeen = true) {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use("*", sessionAuth({ ...authOptions(store), recordSeen }));
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
    case "edge-tcp-unseen":
      return protectedApp(tcpStore(), false);
    case "edge-upstash":
      return protectedApp(upstashStore());
    case "bare-upstash": {
      // The bare hop plus the one cache read the contract asks of every checked request, nothing else.
      const store = upstashStore();
      return new Hono().get("*", async (c) => {
        await store.get(services.sessionId);
        return c.text("ok");
      });
    }
    case "edge-upstash-fetch":
      return protectedApp(upstashFetchStore());
    case "postgres": {
      const sql = postgres(services.databaseUrl, { max: 10 });
      return new Hono().get("*", async (c) => {
        const rows = await sql`select 1 from ${sql(services.table)} where id = ${services.sessionId}`;
        return rows.length === 1 ? c.text("ok") : c.text("missing", 401);
      });
    }
    case "proxy-hono-fetch":
      return new Hono().all("*", (c) => proxy(`${services.upstreamUrl}${new URL(c.req.url).pathname}`, { raw: c.req.raw }));
    case "proxy-edge-fetch":
      return createEdgeApp({ ...authOptions(tcpStore()), upstreamUrl: services.upstreamUrl });
    case "proxy-edge":
      return createEdgeApp({ ...authOptions(tcpStore()), upstreamUrl: services.upstreamUrl, transport: createNodeUpstreamTransport().forward });
    default:
      throw new Error(`unknown BENCH_ROW "${row}"`);
  }
}

/**
 * The Node floor for a proxy: node:http in, undici's pool out, bodies piped, nothing checked and no
 * header rewritten beyond what HTTP/1.1 requires. With `readFirst`, each request first awaits it
 * (and ignores its answer): the proxy floor plus the one cache read the contract asks of every
 * checked request, with nothing else of the check.
 */
async function startUndiciProxy(readFirst?: () => Promise<unknown>): Promise<string> {
  const pool = new Pool(services.upstreamUrl, { connections: 128, keepAliveTimeout: 4_000 });
  const server = createServer(async (req, res) => {
    const { host: _host, connection: _connection, "keep-alive": _keepAlive, ...headers } = req.headers as IncomingHttpHeaders;
    const body = req.method === "GET" || req.method === "HEAD" ? null : req;
    if (readFirst) await readFirst();
    pool.request({ path: req.url ?? "/", method: req.method as "GET", headers, body }).then(
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        // As the edge's transport does: pipe, and each side's failure ends the other.
        answer.body.once("error", () => res.destroy());
        res.once("close", () => {
          if (!answer.body.readableEnded) answer.body.destroy();
        });
        answer.body.pipe(res);
      },
      () => {
        res.statusCode = 502;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("expected a TCP address");
  return `http://127.0.0.1:${address.port}`;
}

if (row === "proxy-undici") {
  console.log(JSON.stringify({ ready: true, url: await startUndiciProxy() }));
  process.on("SIGTERM", () => process.exit(0));
} else if (row === "proxy-undici-cache") {
  const store = tcpStore();
  console.log(JSON.stringify({ ready: true, url: await startUndiciProxy(() => store.get(services.sessionId)) }));
  process.on("SIGTERM", () => process.exit(0));
} else if (row === "nginx-proxy" || row === "nginx-auth") {
  // nginx (one worker) is the measured server; for forward auth the edge runs here beside it.
  const edge = row === "nginx-auth" ? await listen(createEdgeApp({ ...authOptions(tcpStore()), upstreamUrl: services.upstreamUrl }).fetch) : null;
  const nginx = await startNginx((port) =>
    edge ? forwardAuthServer({ port, edgeUrl: edge.url, upstreamUrl: services.upstreamUrl }) : plainProxyServer({ port, upstreamUrl: services.upstreamUrl }),
  );
  console.log(JSON.stringify({ ready: true, url: nginx.url }));
  process.on("SIGTERM", () => void Promise.all([nginx.close(), edge?.close()]).then(() => process.exit(0)));
} else {
  const app = await buildRow();
  const server = await listen(app.fetch);
  console.log(JSON.stringify({ ready: true, url: server.url }));
  process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
}
