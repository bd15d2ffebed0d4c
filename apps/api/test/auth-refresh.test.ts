import { createSesameClient, errorCode } from "@sesame/client";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { refreshTokens } from "../src/db/schema.ts";
import { INVALID_REFRESH_TOKEN_MESSAGE } from "../src/services/auth/rotate-refresh-token.ts";
import { failure, login, sessionEvents, sessionRow, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

const GRACE_SECONDS = 10;
let clock: Date;
let api: ApiHarness;
beforeAll(async () => {
  clock = new Date();
  api = await startAuthApi({ now: () => clock, config: { refreshGraceSeconds: GRACE_SECONDS } });
});
beforeEach(() => {
  clock = new Date();
});
afterAll(async () => api?.stop());

const advance = (seconds: number) => {
  clock = new Date(clock.getTime() + seconds * 1000);
};
const refresh = (refreshToken: string) => api.anonymous().auth.refresh.mutate({ refreshToken });
const isUnauthorized = (e: unknown) => errorCode(e) === "UNAUTHORIZED";

async function signedIn(settings?: Record<string, unknown>) {
  const { tenant, user } = await tenantWithUser(api, settings);
  return login(api, tenant.code, user.username);
}

async function tokenRows(sessionId: string) {
  return api.deps.db.select().from(refreshTokens).where(eq(refreshTokens.sessionId, sessionId));
}

describe("auth.refresh", () => {
  it("rotates: a new access token and a new refresh token, stored only as a hash", async () => {
    const first = await signedIn();
    advance(1);
    const next = await refresh(first.refreshToken);
    expect(next.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.session).toMatchObject({ id: first.session.id, state: "ENROLLED", current: true });
    await expect(api.user(next.accessToken).auth.me.query()).resolves.toMatchObject({ session: { id: first.session.id } });

    const rows = await tokenRows(first.session.id);
    expect(rows).toHaveLength(2);
    const serialised = JSON.stringify(rows);
    expect(serialised).not.toContain(first.refreshToken.slice(3));
    expect(serialised).not.toContain(next.refreshToken.slice(3));
  });

  it("writes the session's active cache entry", async () => {
    const first = await signedIn();
    const before = await api.deps.cache.get(first.session.id);
    expect(before).toMatchObject({ kind: "active" });
    advance(5);
    await refresh(first.refreshToken);
    const after = await api.deps.cache.get(first.session.id);
    expect(after).toMatchObject({ kind: "active", sid: first.session.id, leaseUntil: clock.getTime() + api.config.leaseSeconds * 1000 });
  });

  it("locks the session when a token rotated away is presented again (RT1 → RT2 → RT3, then RT1)", async () => {
    const rt1 = await signedIn();
    const rt2 = await refresh(rt1.refreshToken);
    const rt3 = await refresh(rt2.refreshToken);
    advance(GRACE_SECONDS + 1);
    const reuse = await refresh(rt1.refreshToken).catch(failure);
    expect(reuse).toMatchObject({ code: "UNAUTHORIZED", message: INVALID_REFRESH_TOKEN_MESSAGE });

    const session = await sessionRow(api, rt1.session.id);
    expect(session.state).toBe("LOCKED");
    const locked = await sessionEvents(api, rt1.session.id, "session.locked");
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ actorKind: "system", data: { cause: "refresh_token_reuse", state: "LOCKED" } });
    await expect(api.deps.cache.get(rt1.session.id)).resolves.toMatchObject({ kind: "revoked" });

    // The live refresh token and the live access token both stop working.
    await expect(refresh(rt3.refreshToken)).rejects.toSatisfy(isUnauthorized);
    await expect(api.user(rt3.accessToken).auth.me.query()).rejects.toSatisfy(isUnauthorized);
  });

  it("treats an older ancestor as reuse even inside the grace window", async () => {
    const rt1 = await signedIn();
    const rt2 = await refresh(rt1.refreshToken);
    const rt3 = await refresh(rt2.refreshToken);
    await expect(refresh(rt1.refreshToken)).rejects.toSatisfy(isUnauthorized);
    expect((await sessionRow(api, rt1.session.id)).state).toBe("LOCKED");
    await expect(refresh(rt3.refreshToken)).rejects.toSatisfy(isUnauthorized);
  });

  it("returns the same child when the immediate predecessor is replayed within the grace window", async () => {
    const rt1 = await signedIn();
    const rt2 = await refresh(rt1.refreshToken);
    advance(GRACE_SECONDS - 1);
    const replay = await refresh(rt1.refreshToken);
    expect(replay.refreshToken).toBe(rt2.refreshToken);
    await expect(api.user(replay.accessToken).auth.me.query()).resolves.toMatchObject({ session: { id: rt1.session.id } });
    expect((await sessionRow(api, rt1.session.id)).state).toBe("ENROLLED");
    expect(await tokenRows(rt1.session.id)).toHaveLength(2);
    // The child keeps working and rotates normally.
    const rt3 = await refresh(rt2.refreshToken);
    expect(rt3.refreshToken).not.toBe(rt2.refreshToken);
  });

  it("treats a replay of the immediate predecessor after the grace window as reuse", async () => {
    const rt1 = await signedIn();
    const rt2 = await refresh(rt1.refreshToken);
    advance(GRACE_SECONDS + 1);
    await expect(refresh(rt1.refreshToken)).rejects.toSatisfy(isUnauthorized);
    expect((await sessionRow(api, rt1.session.id)).state).toBe("LOCKED");
    await expect(refresh(rt2.refreshToken)).rejects.toSatisfy(isUnauthorized);
  });

  it("keeps the child's encrypted copy only through the grace window", async () => {
    const rt1 = await signedIn();
    const rt2 = await refresh(rt1.refreshToken);
    const [parent] = (await tokenRows(rt1.session.id)).filter((r) => r.rotatedAt);
    expect(parent?.childTokenEnc).toBeTruthy();
    expect(parent?.childTokenEnc).not.toContain(rt2.refreshToken.slice(3));
    advance(GRACE_SECONDS + 1);
    await refresh(rt2.refreshToken);
    const [row] = await api.deps.db.select().from(refreshTokens).where(eq(refreshTokens.id, parent!.id));
    expect(row?.childTokenEnc).toBeNull();
  });

  it("yields exactly one child for twenty concurrent refreshes with one token, and no 5xx", async () => {
    const rt1 = await signedIn();
    // Separate clients, so these are twenty HTTP requests rather than one batch.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => createSesameClient({ url: api.url }).auth.refresh.mutate({ refreshToken: rt1.refreshToken })),
    );
    const statuses = results.map((r) => (r.status === "fulfilled" ? 200 : failure(r.reason).httpStatus));
    expect(statuses.every((s) => s === 200 || s === 401)).toBe(true);
    const children = new Set(results.flatMap((r) => (r.status === "fulfilled" ? [r.value.refreshToken] : [])));
    expect(children.size).toBe(1);
    expect(await tokenRows(rt1.session.id)).toHaveLength(2);
    expect((await sessionRow(api, rt1.session.id)).state).toBe("ENROLLED");
    // Inside the grace window every one of them gets the child.
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it("answers unknown, malformed, revoked and expired-session tokens identically", async () => {
    const revoked = await signedIn();
    await api.user(revoked.accessToken).auth.logout.mutate();
    const expiring = await signedIn({ sessionTtlSeconds: 60 });
    const unknown = `rt_${"A".repeat(43)}`;

    const answers = [await refresh(unknown).catch(failure), await refresh("not-a-token").catch(failure), await refresh(revoked.refreshToken).catch(failure)];
    advance(61);
    answers.push(await refresh(expiring.refreshToken).catch(failure));
    for (const answer of answers) {
      expect(answer).toEqual({ code: "UNAUTHORIZED", message: INVALID_REFRESH_TOKEN_MESSAGE, httpStatus: 401, retryAfterSeconds: undefined });
    }
    // Presenting a revoked token is not reuse: the (already signed-out) session records no reuse lock.
    const locks = await sessionEvents(api, revoked.session.id, "session.locked");
    expect(locks.map((e) => e.data.cause)).toEqual(["logout"]);
  });

  it("never extends a session past its absolute expiresAt", async () => {
    const first = await signedIn({ sessionTtlSeconds: 3600 });
    const expiresAt = Date.parse(first.session.expiresAt);
    advance(3600 - 100);
    const near = await refresh(first.refreshToken);
    expect(near.session.expiresAt).toBe(first.session.expiresAt);
    expect(Date.parse(near.accessTokenExpiresAt)).toBeLessThanOrEqual(expiresAt);
    advance(101);
    await expect(refresh(near.refreshToken)).rejects.toSatisfy(isUnauthorized);
  });

  it("does not accept a token of a session signed out and enrolled again (new generation)", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const device = { device: { id: "phone-1" } };
    const first = await login(api, tenant.code, user.username, undefined, device);
    await api.user(first.accessToken).auth.logout.mutate();
    const again = await login(api, tenant.code, user.username, undefined, device);
    expect(again.session.id).toBe(first.session.id);
    await expect(refresh(first.refreshToken)).rejects.toSatisfy(isUnauthorized);
    await expect(api.user(first.accessToken).auth.me.query()).rejects.toSatisfy(isUnauthorized);
    await expect(refresh(again.refreshToken)).resolves.toMatchObject({ session: { id: first.session.id } });
    const [{ n }] = (await api.deps.db.execute(sql`select count(*)::int as n from events where session_id = ${first.session.id} and type = 'session.locked'`)) as unknown as [{ n: number }];
    expect(n).toBe(1);
  });
});
