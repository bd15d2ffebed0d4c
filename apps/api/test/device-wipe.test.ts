/**
 * A wipe must reach the device (contract §7): a RESET session answers `session_reset` wherever the
 * device can present its credentials — `auth.me`, `auth.refresh`, the edge's introspection — while a
 * plain sign-out (LOCKED) stays `session_revoked`; and enrolling the same device again must not
 * swallow a wipe it has not received yet.
 */
import { errorCode, errorReason } from "@sesame/client";
import { INTROSPECTION_PATH } from "@sesame/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INVALID_REFRESH_TOKEN_MESSAGE } from "../src/services/auth/rotate-refresh-token.ts";
import { login, sessionRow, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi();
});
afterAll(async () => api?.stop());

type Tokens = Awaited<ReturnType<typeof login>>;

/** What the API tells a device presenting these credentials. */
async function answersTo(tokens: Tokens) {
  const me = await api.user(tokens.accessToken).auth.me.query().then(() => null, (e: unknown) => e);
  const refresh = await api.anonymous().auth.refresh.mutate({ refreshToken: tokens.refreshToken }).then(() => null, (e: unknown) => e);
  const introspection = await fetch(`${api.url}${INTROSPECTION_PATH}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.config.introspectionSecret}`, "content-type": "application/json" },
    body: JSON.stringify({ sessionId: tokens.session.id }),
  }).then((res) => res.json());
  return {
    me: { code: errorCode(me), reason: errorReason(me) },
    refresh: { code: errorCode(refresh), reason: errorReason(refresh), message: (refresh as Error | null)?.message ?? null },
    introspection,
  };
}

async function signedInUser() {
  const { tenant, user, admin } = await tenantWithUser(api);
  const signIn = (deviceId: string) => login(api, tenant.code, user.username, undefined, { device: { id: deviceId } });
  return { tenant, user, admin, signIn };
}

describe("the wipe signal", () => {
  it("a wiped session answers session_reset to auth.me, auth.refresh and introspection", async () => {
    const { admin, user, signIn } = await signedInUser();
    const tokens = await signIn("phone-1");
    await admin.sessions.wipe.mutate({ userId: user.id, sessionId: tokens.session.id });
    expect(await answersTo(tokens)).toEqual({
      me: { code: "UNAUTHORIZED", reason: "session_reset" },
      refresh: { code: "UNAUTHORIZED", reason: "session_reset", message: expect.stringContaining("wipe") },
      introspection: { active: false, reason: "session_reset" },
    });
  });

  it("a user locked with wipe, or deleted, has every device told session_reset", async () => {
    for (const revoke of ["lock", "delete"] as const) {
      const { admin, user, signIn } = await signedInUser();
      const tokens = await signIn("phone-1");
      if (revoke === "lock") await admin.users.lock.mutate({ userId: user.id, wipe: true });
      else await admin.users.delete.mutate({ userId: user.id });
      const answers = await answersTo(tokens);
      expect(answers.me.reason).toBe("session_reset");
      expect(answers.refresh.reason).toBe("session_reset");
      expect(answers.introspection).toEqual({ active: false, reason: "session_reset" });
    }
  });

  it("a signed-out session (re-authenticate, lock without wipe) stays session_revoked, and refresh keeps its uniform answer", async () => {
    for (const revoke of ["reauthenticate", "lock"] as const) {
      const { admin, user, signIn } = await signedInUser();
      const tokens = await signIn("phone-1");
      if (revoke === "reauthenticate") await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: tokens.session.id });
      else await admin.users.lock.mutate({ userId: user.id, wipe: false });
      expect(await answersTo(tokens)).toEqual({
        me: { code: "UNAUTHORIZED", reason: "session_revoked" },
        refresh: { code: "UNAUTHORIZED", reason: null, message: INVALID_REFRESH_TOKEN_MESSAGE },
        introspection: { active: false, reason: "session_revoked" },
      });
    }
  });
});

describe("enrolling the same device again", () => {
  it("after a wipe makes a new session and leaves the RESET one to deliver its wipe to the old credentials", async () => {
    const { admin, user, signIn } = await signedInUser();
    const first = await signIn("tablet-7");
    await admin.sessions.wipe.mutate({ userId: user.id, sessionId: first.session.id });

    const again = await signIn("tablet-7");
    expect(again.session.id).not.toBe(first.session.id);
    expect(again.session).toMatchObject({ state: "ENROLLED", device: { id: "tablet-7" } });
    expect((await sessionRow(api, first.session.id)).state).toBe("RESET");
    const old = await answersTo(first);
    expect([old.me.reason, old.refresh.reason, old.introspection.reason]).toEqual(["session_reset", "session_reset", "session_reset"]);
    await expect(api.user(again.accessToken).auth.me.query()).resolves.toMatchObject({ session: { id: again.session.id } });

    // The live session is the device's session from now on: enrolling again reuses it.
    const third = await signIn("tablet-7");
    expect(third.session.id).toBe(again.session.id);
    const { sessions } = await admin.users.get.query({ userId: user.id });
    expect(sessions.map((s) => [s.id, s.state]).sort()).toEqual([[first.session.id, "RESET"], [again.session.id, "ENROLLED"]].sort());
  });

  it("after a plain sign-out revives the same session, under a new generation", async () => {
    const { admin, user, signIn } = await signedInUser();
    const first = await signIn("laptop-3");
    await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: first.session.id });
    const again = await signIn("laptop-3");
    expect(again.session.id).toBe(first.session.id);
    expect((await answersTo(first)).me.reason).toBe("session_revoked");
  });
});
