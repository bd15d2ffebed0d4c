// The edge in front of the real API: revocations and group changes made through the API apply on
// the very next request, on every store this run can reach.
import { createSesameClient } from "@sesame/client";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStack, type Stack } from "./stack.ts";

const backends = inject("sesameBackends");
const stores = [
  { name: "upstash store", edgeCache: { kind: "upstash" as const } },
  ...(backends.redisUrl ? [{ name: "TCP store", edgeCache: { kind: "tcp" as const } }] : []),
];

for (const variant of stores) {
  describe(`edge + API (${variant.name})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ backends, edgeCache: variant.edgeCache, edge: { routeGroups: { "/admin/*": ["admin"] } } });
    });
    afterAll(async () => stack?.stop());

    it("lets a new session through with identity headers and drops client-sent ones", async () => {
      const { accessToken, session, user } = await stack.newSession(["staff"]);
      const res = await fetch(`${stack.edge.url}/orders`, { headers: { authorization: `Bearer ${accessToken}`, "x-sesame-user-id": "forged" } });
      expect(res.status).toBe(200);
      const seen = stack.upstream.requests.at(-1)!;
      expect(seen.headers).toMatchObject({ "x-sesame-user-id": user.id, "x-sesame-session-id": session.id, "x-sesame-tenant-id": stack.tenant.id, "x-sesame-groups": "staff" });
    });

    for (const action of ["users.lock", "sessions.wipe", "sessions.reauthenticate", "sessions.delete", "auth.logout"] as const) {
      it(`refuses the very next request after ${action} returns with effectiveAt`, async () => {
        const { accessToken, session, user } = await stack.newSession();
        expect((await stack.get("/orders", accessToken)).status).toBe(200);
        const { revocation } =
          action === "users.lock"
            ? await stack.admin.users.lock.mutate({ userId: user.id, wipe: false })
            : action === "sessions.wipe"
              ? await stack.admin.sessions.wipe.mutate({ userId: user.id, sessionId: session.id })
              : action === "sessions.reauthenticate"
                ? await stack.admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: session.id })
                : action === "sessions.delete"
                  ? await stack.admin.sessions.delete.mutate({ userId: user.id, sessionId: session.id })
                  : await createSesameClient({ url: stack.api.url, accessToken }).auth.logout.mutate();
        expect(revocation.sessionIds).toContain(session.id);
        expect(revocation.effectiveAt).not.toBeNull();
        const res = await stack.get("/orders", accessToken);
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
        // A wipe is the one sign-out the device must act on: it is told apart (contract §7).
        expect(await res.json()).toMatchObject({ error: action === "sessions.wipe" ? "session_reset" : "session_revoked" });
      });
    }

    it("tells every device of a user locked with wipe, or deleted, to wipe (session_reset)", async () => {
      for (const revoke of ["lock", "delete"] as const) {
        const { accessToken, user } = await stack.newSession();
        expect((await stack.get("/orders", accessToken)).status).toBe(200);
        if (revoke === "lock") await stack.admin.users.lock.mutate({ userId: user.id, wipe: true });
        else await stack.admin.users.delete.mutate({ userId: user.id });
        const res = await stack.get("/orders", accessToken);
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: "session_reset" });
      }
    });

    it("applies a group added or removed through the API on the next request (403 ↔ 200)", async () => {
      const { accessToken, user } = await stack.newSession();
      const denied = await stack.get("/admin/panel", accessToken);
      expect(denied.status).toBe(403);
      expect(await denied.json()).toMatchObject({ error: "insufficient_scope" });
      await stack.admin.sessions.addAccessGroups.mutate({ userId: user.id, groups: "admin" });
      expect((await stack.get("/admin/panel", accessToken)).status).toBe(200);
      await stack.admin.sessions.removeAccessGroups.mutate({ userId: user.id, groups: ["admin"] });
      expect((await stack.get("/admin/panel", accessToken)).status).toBe(403);
    });

    it("answers whoami with the verified identity", async () => {
      const { accessToken, session, user } = await stack.newSession(["a", "b"]);
      const res = await stack.get("/_sesame/whoami", accessToken);
      expect(await res.json()).toEqual({ userId: user.id, sessionId: session.id, tenantId: stack.tenant.id, groups: ["a", "b"], factors: [] });
    });

    it("refuses a revoked session even after its cache entry is gone (the API answers from Postgres), with the same reason", async () => {
      const redis = new Redis({ url: backends.upstash.url, token: backends.upstash.token });
      for (const [revoke, reason] of [["wipe", "session_reset"], ["reauthenticate", "session_revoked"]] as const) {
        const { accessToken, session, user } = await stack.newSession();
        await stack.admin.sessions[revoke].mutate({ userId: user.id, sessionId: session.id });
        expect(await redis.del(`${stack.api.config.cache.prefix}session:${session.id}`)).toBe(1);
        expect(await stack.api.deps.cache.get(session.id)).toBeNull();
        const res = await stack.get("/orders", accessToken);
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: reason });
        // The introspection re-filled the cache with a tombstone carrying the same reason.
        expect(await stack.api.deps.cache.get(session.id)).toMatchObject({ kind: "revoked", reason });
      }
    });

    it("locks the session when a rotated-away refresh token is replayed, and the edge refuses it next", async () => {
      const { accessToken, refreshToken } = await stack.newSession();
      const anonymous = createSesameClient({ url: stack.api.url });
      const second = await anonymous.auth.refresh.mutate({ refreshToken });
      const third = await anonymous.auth.refresh.mutate({ refreshToken: second.refreshToken });
      expect((await stack.get("/orders", third.accessToken)).status).toBe(200);
      // Wait out the grace window the harness configures, then replay the first token.
      stack.api.deps.now = () => new Date(Date.now() + 60_000);
      await expect(anonymous.auth.refresh.mutate({ refreshToken })).rejects.toThrow();
      stack.api.deps.now = () => new Date();
      expect((await stack.get("/orders", third.accessToken)).status).toBe(401);
      expect((await stack.get("/orders", accessToken)).status).toBe(401);
    });
  });
}
