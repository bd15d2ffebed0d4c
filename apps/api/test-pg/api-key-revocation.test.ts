/**
 * An API key revoked through one API process stops working in the others at once (each listens
 * for revocations on Postgres; services/api-keys/api-key-cache.ts), not only after their 5 s cache.
 * Two API instances with their own pools on one real Postgres stand in for two processes.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import postgres from "postgres";
import { API_KEY_CACHE_TTL_MS, API_KEY_REVOKED_CHANNEL, apiKeyCache, listenForApiKeyRevocations } from "../src/services/api-keys/api-key-cache.ts";
import { createDb } from "../src/db/client.ts";
import { createLogger } from "../src/lib/logger.ts";
import { errorCode } from "@sesame/client";
import { failureOf } from "../test/admin-fixtures.ts";
import { startCuttableRelay, startSilentServer } from "@sesame/dev-services";
import { createTenantWithAdmin, startApi, testConfig, type ApiHarness } from "../test/harness.ts";

let one: ApiHarness;
let other: ApiHarness;
beforeAll(async () => {
  one = await startApi();
  other = await startApi();
});
afterAll(async () => {
  await one?.stop();
  await other?.stop();
});

/** Polls `probe` until it reports UNAUTHORIZED; resolves with how long that took (ms). */
async function untilRefused(probe: () => Promise<unknown>, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const outcome = await probe().then(
      () => "accepted",
      (error: unknown) => errorCode(error) ?? String(error),
    );
    if (outcome === "UNAUTHORIZED") return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`still not refused after ${withinMs} ms (last: ${outcome})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A second key of a fresh tenant, already used (so remembered) by `other`. */
async function keyRememberedByOther() {
  const { admin } = await createTenantWithAdmin(one);
  const { apiKey, key } = await admin.apiKeys.create.mutate({ name: "revoked elsewhere" });
  const elsewhere = other.admin(key);
  await elsewhere.tenants.get.query();
  return { admin, apiKey, elsewhere };
}

describe("API key revocation across processes", () => {
  it("check: this suite runs on real Postgres", () => {
    expect(inject("sesameBackends").description.postgres).toBe("real");
  });

  it("a key revoked through one process is refused by another well within its cache's 5 s", async () => {
    const { admin, apiKey, elsewhere } = await keyRememberedByOther();
    await admin.apiKeys.revoke.mutate({ apiKeyId: apiKey.id });
    const tookMs = await untilRefused(() => elsewhere.tenants.get.query(), API_KEY_CACHE_TTL_MS / 5);
    expect(tookMs).toBeLessThan(API_KEY_CACHE_TTL_MS / 5);
  });

  it("still does after the listening connection was cut (it listens again and forgets what it may have missed)", async () => {
    // Cut every connection listening on the channel, as a Postgres restart or a network drop would.
    const listeners = async () =>
      (
        await one.deps.db.execute<{ pid: number }>(sql`
          select pid from pg_stat_activity where datname = current_database() and query ilike ${`listen%${API_KEY_REVOKED_CHANNEL}%`}`)
      ).map((row) => row.pid);
    await keyRememberedByOther();
    expect(apiKeyCache(other.deps.db).size).toBeGreaterThan(0);
    const cut = await listeners();
    expect(cut.length).toBeGreaterThanOrEqual(2);
    await one.deps.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where pid = any(${`{${cut.join(",")}}`}::int[])`);
    // Both processes listen again, on new connections.
    const until = Date.now() + 10_000;
    let now = await listeners();
    const relistened = () => now.length >= cut.length && !now.some((pid) => cut.includes(pid)) && apiKeyCache(other.deps.db).size === 0;
    while (!relistened() && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      now = await listeners();
    }
    expect(now.filter((pid) => !cut.includes(pid))).toHaveLength(cut.length);
    // Whatever was announced while the connection was down is unknown: every remembered key is forgotten.
    expect(apiKeyCache(other.deps.db).size).toBe(0);

    const { admin, apiKey, elsewhere } = await keyRememberedByOther();
    await admin.apiKeys.revoke.mutate({ apiKeyId: apiKey.id });
    expect(await untilRefused(() => elsewhere.tenants.get.query(), API_KEY_CACHE_TTL_MS / 5)).toBeLessThan(API_KEY_CACHE_TTL_MS / 5);
  });

  it("hears revocations again after an outage that outlasted postgres.js's own re-listen (its heartbeat listens anew)", async () => {
    // A third process whose every connection to Postgres runs through a relay the test can cut.
    const direct = new URL(testConfig().database.url);
    const relay = await startCuttableRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaRelay = new URL(direct);
    viaRelay.port = String(relay.port);
    const heartbeatMs = 200;
    const third = await startApi({ config: { database: { ...testConfig().database, url: viaRelay.toString(), revocationHeartbeatMs: heartbeatMs } } });
    try {
      const { admin } = await createTenantWithAdmin(one);
      const { apiKey, key } = await admin.apiKeys.create.mutate({ name: "revoked after the outage" });
      const thirdAdmin = third.admin(key);
      await thirdAdmin.tenants.get.query();
      expect(apiKeyCache(third.deps.db).size).toBeGreaterThan(0);
      // The outage: every connection dropped, and postgres.js's immediate re-listen refused.
      relay.cut();
      await new Promise((resolve) => setTimeout(resolve, 4 * heartbeatMs));
      relay.restore();
      // Back: within a few beats it listens again, which empties its cache (nothing else does here).
      const until = Date.now() + 10_000;
      while (apiKeyCache(third.deps.db).size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(apiKeyCache(third.deps.db).size).toBe(0);
      // Remembered anew, the key is now forgotten only if the revocation is heard.
      await thirdAdmin.tenants.get.query();
      await admin.apiKeys.revoke.mutate({ apiKeyId: apiKey.id });
      expect(await untilRefused(() => thirdAdmin.tenants.get.query(), API_KEY_CACHE_TTL_MS / 5)).toBeLessThan(API_KEY_CACHE_TTL_MS / 5);
    } finally {
      await third.stop();
      await relay.close();
    }
  });

  it("gives up a LISTEN that never settles and listens on a new connection (the first one reaches a server that never answers)", async () => {
    const silent = await startSilentServer();
    const { db, sql: pool, close } = createDb({ url: testConfig().database.url, max: 2 });
    const opened: string[] = [];
    // The first listening instance connects to a server that accepts and never answers (its connect
    // timeout, 30 s, is far beyond this test); every later one to the real Postgres.
    const openListener = () => {
      const url = opened.length === 0 ? `postgres://postgres@127.0.0.1:${silent.port}/postgres` : testConfig().database.url;
      opened.push(url);
      return postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 30 });
    };
    const heartbeatMs = 100;
    const remember = (id: string) => apiKeyCache(db).set(`hash-of-${id}`, { id, tenantId: "00000000-0000-0000-0000-000000000000", lastUsedAt: null });
    remember("before");
    const revocations = listenForApiKeyRevocations(pool, openListener, db, createLogger("silent"), heartbeatMs);
    try {
      // Listening at last empties the cache (anything announced before was missed).
      const until = Date.now() + 5_000;
      while (apiKeyCache(db).size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(apiKeyCache(db).size).toBe(0);
      expect(opened.length).toBeGreaterThanOrEqual(2);
      // And it hears: an announced revocation is forgotten at once.
      remember("revoked");
      await pool`select pg_notify(${API_KEY_REVOKED_CHANNEL}, ${"revoked"})`;
      const heardBy = Date.now() + 2_000;
      while (apiKeyCache(db).size > 0 && Date.now() < heardBy) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(apiKeyCache(db).size).toBe(0);
    } finally {
      await revocations.close();
      await close();
      await silent.close();
    }
  });

  it("stops at once while its LISTEN hangs: shutdown does not wait out the three-beat deadline", async () => {
    const silent = await startSilentServer();
    const { db, sql: pool, close } = createDb({ url: testConfig().database.url, max: 1 });
    // With a 60 s beat the hung listen would be given up only after 180 s, far beyond this test.
    const openListener = () => postgres(`postgres://postgres@127.0.0.1:${silent.port}/postgres`, { max: 1, onnotice: () => {}, connect_timeout: 300 });
    const revocations = listenForApiKeyRevocations(pool, openListener, db, createLogger("silent"), 60_000);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await revocations.close();
    } finally {
      await close();
      await silent.close();
    }
  }, 10_000);

  it("a revocation that rolls back is not announced: the key keeps working everywhere", async () => {
    const { admin, apiKey, elsewhere } = await keyRememberedByOther();
    // Another tenant's admin cannot revoke it: the call fails inside its transaction.
    const stranger = (await createTenantWithAdmin(one)).admin;
    expect(await failureOf(stranger.apiKeys.revoke.mutate({ apiKeyId: apiKey.id }))).toMatchObject({ code: "NOT_FOUND" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(elsewhere.tenants.get.query()).resolves.toMatchObject({ id: expect.any(String) });
    await expect(admin.apiKeys.list.query()).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ id: apiKey.id, revokedAt: null })]));
  });
});
