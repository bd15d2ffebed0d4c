/**
 * The tenant setting `sessionIdleTimeoutSeconds` (contract §7): a session not connected (refreshed)
 * for that long is expired on refresh and introspection; off (null) by default.
 */
import { errorCode } from "@sesame/client";
import { INTROSPECTION_PATH } from "@sesame/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { INVALID_REFRESH_TOKEN_MESSAGE } from "../src/services/auth/rotate-refresh-token.ts";
import { login, sessionRow, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

const IDLE = 1800;
let clock: Date;
let api: ApiHarness;
beforeAll(async () => {
  clock = new Date();
  api = await startAuthApi({ now: () => clock });
});
beforeEach(() => {
  clock = new Date();
});
afterAll(async () => api?.stop());

const advance = (seconds: number) => {
  clock = new Date(clock.getTime() + seconds * 1000);
};
const refresh = (refreshToken: string) => api.anonymous().auth.refresh.mutate({ refreshToken });
const introspect = (sessionId: string) =>
  fetch(`${api.url}${INTROSPECTION_PATH}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.config.introspectionSecret}`, "content-type": "application/json" },
    body: JSON.stringify({ sessionId }),
  }).then((res) => res.json());

async function signedIn(settings?: Record<string, unknown>) {
  const { tenant, user } = await tenantWithUser(api, settings);
  return login(api, tenant.code, user.username);
}

describe("sessionIdleTimeoutSeconds", () => {
  it("is off by default and can be set at tenant creation", async () => {
    const { tenant } = await tenantWithUser(api);
    expect(tenant.settings.sessionIdleTimeoutSeconds).toBeNull();
    const { tenant: strict } = await tenantWithUser(api, { sessionIdleTimeoutSeconds: IDLE });
    expect(strict.settings.sessionIdleTimeoutSeconds).toBe(IDLE);
  });

  it("is turned on and off by tenants.update, leaving the other settings as they were", async () => {
    const { admin, tenant } = await tenantWithUser(api, { accessTokenTtlSeconds: 300 });
    const on = await admin.tenants.update.mutate({ settings: { sessionIdleTimeoutSeconds: IDLE } });
    expect(on.settings).toEqual({ ...tenant.settings, sessionIdleTimeoutSeconds: IDLE });
    const off = await admin.tenants.update.mutate({ settings: { sessionIdleTimeoutSeconds: null } });
    expect(off.settings).toEqual(tenant.settings);
  });

  it("refuses a value shorter than twice the longest access token, naming the field", async () => {
    const error = await tenantWithUser(api, { sessionIdleTimeoutSeconds: 600 }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
    expect((error as Error).message).toContain("sessionIdleTimeoutSeconds");
  });

  it("keeps a session alive while it refreshes within the timeout, counting from the last refresh", async () => {
    let tokens = await signedIn({ sessionIdleTimeoutSeconds: IDLE });
    for (let i = 0; i < 3; i += 1) {
      advance(IDLE - 1);
      tokens = await refresh(tokens.refreshToken);
    }
    expect((await sessionRow(api, tokens.session.id)).lastConnectedAt).toEqual(clock);
    expect(await introspect(tokens.session.id)).toMatchObject({ active: true });
  });

  it("expires a session idle for the timeout since its last refresh: refresh refused, introspection session_expired", async () => {
    const first = await signedIn({ sessionIdleTimeoutSeconds: IDLE });
    advance(60);
    const second = await refresh(first.refreshToken);
    advance(IDLE);
    const error = await refresh(second.refreshToken).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("UNAUTHORIZED");
    expect((error as Error).message).toBe(INVALID_REFRESH_TOKEN_MESSAGE);
    expect(await introspect(second.session.id)).toEqual({ active: false, reason: "session_expired" });
    expect(await api.deps.cache.get(second.session.id)).toMatchObject({ kind: "revoked", reason: "session_expired" });
  });

  it("counts from sign-in for a session that never refreshed", async () => {
    const tokens = await signedIn({ sessionIdleTimeoutSeconds: IDLE });
    advance(IDLE - 1);
    expect(await introspect(tokens.session.id)).toMatchObject({ active: true });
    advance(1);
    expect(await introspect(tokens.session.id)).toEqual({ active: false, reason: "session_expired" });
    await expect(refresh(tokens.refreshToken)).rejects.toSatisfy((e: unknown) => errorCode(e) === "UNAUTHORIZED");
  });

  it("without the setting, a session idle for days still refreshes", async () => {
    const tokens = await signedIn();
    advance(10 * 86_400);
    await expect(refresh(tokens.refreshToken)).resolves.toMatchObject({ session: { id: tokens.session.id } });
  });
});
