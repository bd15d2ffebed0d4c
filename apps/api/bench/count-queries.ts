/**
 * Prints the statements each bench operation sends to Postgres (one API, in-process), so round
 * trips can be counted: `npx tsx bench/count-queries.ts`.
 */
import { randomBytes } from "node:crypto";
import { startUpstashShim, type SesameBackends } from "@sesame/dev-services";
import postgres from "postgres";
import { runMigrations } from "../src/db/migrate.ts";
import { startApi, uniqueTenantCode } from "../test/harness.ts";

const DATABASE_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const databaseName = `sesame_count_${randomBytes(6).toString("hex")}`;
const server = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined });
const url = new URL(DATABASE_URL);
url.pathname = `/${databaseName}`;
await server.unsafe(`CREATE DATABASE "${databaseName}"`);
try {
  await runMigrations(url.toString());
  const shim = await startUpstashShim({ token: randomBytes(24).toString("base64url"), redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379" });
  const backends: SesameBackends = {
    databaseUrl: url.toString(),
    upstash: { url: shim.url, token: shim.token },
    redisUrl: null,
    cachePrefix: `sesame-count:${randomBytes(4).toString("hex")}:`,
    description: { postgres: "real", cache: "redis (via shim)" },
  };
  let log: string[] | null = null;
  const api = await startApi({ backends, onQuery: (statement) => log?.push(statement.replace(/\s+/g, " ").slice(0, 160)) });
  const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode("C"), name: "Count" });
  const admin = api.admin(key);
  const user = await admin.users.create.mutate({ username: "counted" });
  const started = await admin.sessions.create.mutate({ userId: user.id });
  const ops: [string, () => Promise<unknown>][] = [
    ["tenants.get", () => admin.tenants.get.query()],
    ["auth.me", () => api.user(started.accessToken).auth.me.query()],
    ["users.get", () => admin.users.get.query({ userId: user.id })],
    ["sessions.list", () => admin.sessions.list.query({ userId: user.id })],
    ["sessions.create", () => admin.sessions.create.mutate({ userId: user.id })],
    ["auth.refresh", () => api.anonymous().auth.refresh.mutate({ refreshToken: started.refreshToken })],
  ];
  for (const [name, op] of ops) {
    log = [];
    await op();
    await new Promise((r) => setTimeout(r, 50));
    console.log(`\n${name}: ${log.length} statements`);
    for (const line of log) console.log(`  ${line}`);
    log = null;
  }
  await api.stop();
  await shim.close();
} finally {
  await server.unsafe(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  await server.end();
}
