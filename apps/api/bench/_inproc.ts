import { randomBytes } from "node:crypto";
import { startUpstashShim, type SesameBackends } from "@sesame/dev-services";
import postgres from "postgres";
import { runMigrations } from "../src/db/migrate.ts";
import { startApi, uniqueTenantCode } from "../test/harness.ts";
const DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const databaseName = `sesame_inproc_${randomBytes(6).toString("hex")}`;
const server = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined });
const url = new URL(DATABASE_URL); url.pathname = `/${databaseName}`;
await server.unsafe(`CREATE DATABASE "${databaseName}"`);
try {
  await runMigrations(url.toString());
  const shim = await startUpstashShim({ token: randomBytes(24).toString("base64url"), redisUrl: "redis://127.0.0.1:6379" });
  const backends: SesameBackends = { databaseUrl: url.toString(), upstash: { url: shim.url, token: shim.token }, redisUrl: null, cachePrefix: `x:${randomBytes(4).toString("hex")}:`, description: { postgres: "real", cache: "redis (via shim)" } };
  const api = await startApi({ backends });
  const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode("C"), name: "Count" });
  const admin = api.admin(key);
  const user = await admin.users.create.mutate({ username: "counted" });
  const started = await admin.sessions.create.mutate({ userId: user.id });
  const reqs: [string, () => Request][] = [
    ["tenants.get", () => new Request("http://x/trpc/tenants.get", { headers: { authorization: `Bearer ${key}` } })],
    ["auth.me", () => new Request("http://x/trpc/auth.me", { headers: { authorization: `Bearer ${started.accessToken}` } })],
    ["healthz", () => new Request("http://x/healthz")],
  ];
  for (const [name, make] of reqs) {
    for (let i = 0; i < 200; i++) await api.app.fetch(make());
    const c0 = process.cpuUsage(); const t0 = performance.now();
    const N = 1000;
    await Promise.all(Array.from({ length: 10 }, async () => { for (let i = 0; i < N / 10; i++) { const r = await api.app.fetch(make()); await r.text(); } }));
    const c = process.cpuUsage(c0); const t = performance.now() - t0;
    console.log(name, `cpu ${((c.user + c.system) / 1000 / N).toFixed(3)} ms/req`, `wall ${(t / N).toFixed(3)} ms/req`);
  }
  await api.stop(); await shim.close();
} finally {
  await server.unsafe(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  await server.end();
}
