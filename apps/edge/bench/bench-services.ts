/**
 * The bench's dependencies, in a process of their own so they do not share the measured server's
 * CPU: the fake API (JWKS, introspection), the Upstash shim in front of Redis, a plain upstream,
 * and a one-row Postgres table. Prints one JSON line when ready; cleans up on SIGTERM.
 */
import { randomUUID } from "node:crypto";
import { createServer, type RequestListener } from "node:http";
import postgres from "postgres";
import { startUpstashShim } from "@sesame/dev-services";
import { DEFAULT_CACHE_TIMEOUT_MS } from "@sesame/cache";
import { createCache } from "@sesame/cache/node";
import { MAX_LEASE_SECONDS } from "@sesame/core";
import { startFakeApi } from "../test/support/fake-api.ts";

async function listenPlain(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("expected a TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const databaseUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const prefix = `sesame-bench:${randomUUID()}:`;
const table = `sesame_edge_bench_${process.pid}`;

const cache = createCache({ kind: "tcp", url: redisUrl, prefix, timeoutMs: DEFAULT_CACHE_TIMEOUT_MS });
const api = await startFakeApi({ store: cache.store });
const session = api.createSession({ groups: ["staff"] });
const refreshLease = () => api.cacheActive(session, MAX_LEASE_SECONDS);
await refreshLease();
// Keep the entry inside its lease for the whole run, as the API's introspection re-fills would.
const leaseTimer = setInterval(() => void refreshLease(), 20_000);
const token = await api.signToken(session);

const shimToken = randomUUID();
const shim = await startUpstashShim({ port: 0, token: shimToken, redisUrl });
// A plain node:http upstream, so the proxy rows measure the proxy rather than the upstream.
const upstream = await listenPlain((req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end("upstream ok");
});

const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
await sql.unsafe(`create table if not exists ${table} (id uuid primary key)`);
await sql.unsafe(`insert into ${table} (id) values ('${session.sid}') on conflict do nothing`);

console.log(
  JSON.stringify({
    ready: true,
    token,
    sessionId: session.sid,
    apiUrl: api.url,
    audience: api.audience,
    introspectionSecret: api.secret,
    redisUrl,
    upstash: { url: shim.url, token: shimToken },
    prefix,
    upstreamUrl: upstream.url,
    databaseUrl,
    table,
  }),
);

process.on("SIGTERM", async () => {
  clearInterval(leaseTimer);
  await sql.unsafe(`drop table if exists ${table}`).catch(() => {});
  await sql.end();
  await Promise.allSettled([shim.close(), upstream.close(), api.close(), cache.close()]);
  process.exit(0);
});
