// "Last seen" from edge traffic over real Postgres and Redis: a request through the edge leaves a
// mark in the cache; the API's worker folds the marks into sessions.last_connected_at, so
// sessions.list shows the activity and the idle timeout counts it.
import { foldSeenMarks, startCacheOutboxWorker, uniqueTenantCode } from "@sesame/api/testing";
import { INTROSPECTION_PATH } from "@sesame/core";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStack, type Stack } from "./stack.ts";

const backends = inject("sesameBackends");
let stack: Stack;
// The API's clock, moved forward to play out an idle timeout; the edge keeps real time.
let apiOffsetMs = 0;
beforeAll(async () => {
  stack = await startStack({ backends, api: { now: () => new Date(Date.now() + apiOffsetMs) } });
});
afterAll(async () => stack?.stop());

/** The edge writes its mark beside the request, not before answering: fold once it has landed (bounded wait). */
async function foldTheMark(): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await foldSeenMarks(stack.api.deps)) === 0) {
    if (Date.now() > deadline) throw new Error("no seen mark reached the cache");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lastConnectedAt = async (admin: Stack["admin"], userId: string, sessionId: string) => {
  const listed = await admin.sessions.list.query({ userId });
  return listed.find((session) => session.id === sessionId)!.lastConnectedAt;
};

describe("last seen at edge speed", () => {
  it("moves lastConnectedAt to the time of a request through the edge, as sessions.list shows", async () => {
    const { accessToken, session, user } = await stack.newSession();
    expect(await lastConnectedAt(stack.admin, user.id, session.id)).toBeNull();
    const before = Date.now();
    expect((await stack.get("/orders", accessToken)).status).toBe(200);
    const after = Date.now();
    await foldTheMark();
    const seen = Date.parse((await lastConnectedAt(stack.admin, user.id, session.id))!);
    expect(seen).toBeGreaterThanOrEqual(before);
    expect(seen).toBeLessThanOrEqual(after);
  });

  it("never moves lastConnectedAt backwards", async () => {
    const { accessToken, session, user } = await stack.newSession();
    const later = new Date(Date.now() + 3_600_000);
    await stack.api.deps.db.execute(sql`update sessions set last_connected_at = ${later.toISOString()}::timestamptz where id = ${session.id}`);
    expect((await stack.get("/orders", accessToken)).status).toBe(200);
    await foldTheMark();
    expect(Date.parse((await lastConnectedAt(stack.admin, user.id, session.id))!)).toBe(later.getTime());
  });

  it("keeps a session used through the edge alive past the idle timeout, and expires one left idle", async () => {
    const created = await stack.api.root().tenants.create.mutate({ code: uniqueTenantCode("S"), name: "idle", settings: { sessionIdleTimeoutSeconds: 1_800 } });
    const admin = stack.api.admin(created.key);
    const start = async () => {
      const user = await admin.users.create.mutate({ username: `idle${Math.random().toString(36).slice(2, 10)}` });
      return admin.sessions.create.mutate({ userId: user.id });
    };
    const [used, idle] = [await start(), await start()];
    // Both signed in 25 minutes ago and never refreshed.
    await stack.api.deps.db.execute(
      sql`update sessions set last_authenticated_at = now() - interval '1500 seconds' where id in (${used.session.id}, ${idle.session.id})`,
    );
    expect((await stack.get("/orders", used.accessToken)).status).toBe(200);
    await foldTheMark();

    // Ten minutes on: 35 minutes since sign-in, 10 since the edge last saw `used`.
    apiOffsetMs = 600_000;
    try {
      const introspect = (sessionId: string) =>
        fetch(`${stack.api.url}${INTROSPECTION_PATH}`, {
          method: "POST",
          headers: { authorization: `Bearer ${stack.api.config.introspectionSecret}`, "content-type": "application/json" },
          body: JSON.stringify({ sessionId }),
        }).then((res) => res.json());
      expect(await introspect(used.session.id)).toMatchObject({ active: true });
      expect(await introspect(idle.session.id)).toMatchObject({ active: false, reason: "session_expired" });
    } finally {
      apiOffsetMs = 0;
    }
  });

  it("is folded by the API's own worker loop", async () => {
    const worker = startCacheOutboxWorker(stack.api.deps, 100);
    try {
      const { accessToken, session, user } = await stack.newSession();
      expect((await stack.get("/orders", accessToken)).status).toBe(200);
      // The worker folds every few passes; wait for it (bounded), no timing asserted.
      const deadline = Date.now() + 15_000;
      let seen = await lastConnectedAt(stack.admin, user.id, session.id);
      while (seen === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        seen = await lastConnectedAt(stack.admin, user.id, session.id);
      }
      expect(seen).not.toBeNull();
    } finally {
      await worker.stop();
    }
  });
});
