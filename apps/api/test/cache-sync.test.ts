// Revocations reach the cache before the call returns; when the cache is down the change is still
// committed, the receipt says effectiveAt: null, and the outbox delivers the tombstone once the
// cache is back. The cache here is a real endpoint that is really stopped and started.
import { randomBytes } from "node:crypto";
import { createUpstashCache } from "@sesame/cache";
import { startUpstashShim, type UpstashShimHandle } from "@sesame/dev-services";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { drainCacheOutbox } from "../src/services/revocation/outbox-worker.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

const backends = inject("sesameBackends");
const token = randomBytes(24).toString("base64url");
const prefix = `${backends.cachePrefix}outbox-${randomBytes(4).toString("hex")}:`;
let shim: UpstashShimHandle;
let port: number;
let api: ApiHarness;

const startShim = (p = 0) => startUpstashShim({ token, port: p, ...(backends.redisUrl ? { redisUrl: backends.redisUrl } : {}) });

beforeAll(async () => {
  shim = await startShim();
  port = Number(new URL(shim.url).port);
  api = await startApi({ config: { cache: { kind: "upstash", url: shim.url, token, prefix, timeoutMs: 300 } } });
});
afterAll(async () => {
  await api?.stop();
  await shim?.close();
});

const reader = () => createUpstashCache({ kind: "upstash", url: `http://127.0.0.1:${port}`, token, prefix, timeoutMs: 300 }).store;
const pending = async (sessionId: string) =>
  (await api.deps.db.execute<{ n: number }>(sql`select count(*)::int as n from cache_outbox where session_id = ${sessionId} and delivered_at is null`))[0]!.n;

describe("cache sync", () => {
  it("writes the tombstone before users.lock returns, with effectiveAt set", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const user = await admin.users.create.mutate({ username: "synced" });
    const { session } = await admin.sessions.create.mutate({ userId: user.id });
    expect(await reader().get(session.id)).toMatchObject({ kind: "active", sid: session.id });
    const { revocation } = await admin.users.lock.mutate({ userId: user.id, wipe: true });
    expect(revocation.effectiveAt).not.toBeNull();
    // A wipe: the tombstone tells the device to wipe, not just to sign in again.
    expect(await reader().get(session.id)).toMatchObject({ kind: "revoked", sid: session.id, reason: "session_reset" });
    expect(await pending(session.id)).toBe(0);
  });

  it("commits a revocation while the cache is down, answers effectiveAt null, and delivers it when the cache is back", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const user = await admin.users.create.mutate({ username: "outage" });
    const { session } = await admin.sessions.create.mutate({ userId: user.id });

    await shim.close();
    const { revocation, session: wiped } = await admin.sessions.wipe.mutate({ userId: user.id, sessionId: session.id });
    expect(revocation).toMatchObject({ sessionIds: [session.id], effectiveAt: null });
    expect(wiped.state).toBe("RESET");
    expect(await pending(session.id)).toBe(1);
    await expect(reader().get(session.id)).rejects.toThrow();
    expect(await drainCacheOutbox(api.deps)).toBe(0);

    shim = await startShim(port);
    // The failed pass backed the row off by a second; run the worker's pass once it is due.
    api.deps.now = () => new Date(Date.now() + 5_000);
    try {
      expect(await drainCacheOutbox(api.deps)).toBeGreaterThanOrEqual(1);
    } finally {
      api.deps.now = () => new Date();
    }
    expect(await pending(session.id)).toBe(0);
    expect(await reader().get(session.id)).toMatchObject({ kind: "revoked", sid: session.id });
  });
});
