/**
 * auth.refresh must not tell by its timing a refresh token that never existed from one that was
 * revoked. Timing is not asserted (no timing in tests); the work is: both answers must come from
 * the very same statements sent to Postgres.
 */
import { randomBytes } from "node:crypto";
import { errorCode } from "@sesame/client";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

let api: ApiHarness;
let recording: { statement: string; connection: number }[] | null = null;
beforeAll(async () => {
  api = await startAuthApi({ onQuery: (statement, connection) => recording?.push({ statement: statement.trim(), connection }) });
  await api.deps.db.execute(sql`select 1`);
});
afterAll(async () => api?.stop());

/**
 * The statements one refused refresh sent before answering, in order: its transaction, on its
 * connection. (The `auth.refresh_failed` audit, services/auth/refresh.ts, is written after the answer,
 * on whichever connection is free, so it is not part of the time the caller sees.)
 */
async function statementsOfRefusedRefresh(refreshToken: string): Promise<string[]> {
  recording = [];
  const error = await api.anonymous().auth.refresh.mutate({ refreshToken }).then(() => null, (e: unknown) => e);
  const sent = recording;
  recording = null;
  expect(errorCode(error)).toBe("UNAUTHORIZED");
  const begin = sent.find((s) => s.statement === "begin");
  expect(begin, "the refresh runs in a transaction").toBeDefined();
  const own = sent.slice(sent.indexOf(begin!)).filter((s) => s.connection === begin!.connection).map((s) => s.statement);
  return own.slice(0, own.indexOf("commit") + 1);
}

describe("auth.refresh work for refused tokens", () => {
  it("is the same for a token that never existed as for a revoked one", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const signedIn = await login(api, tenant.code, user.username);
    await api.user(signedIn.accessToken).auth.logout.mutate();

    const revoked = await statementsOfRefusedRefresh(signedIn.refreshToken);
    const neverExisted = await statementsOfRefusedRefresh(`rt_${randomBytes(32).toString("base64url")}`);
    expect(revoked.length).toBeGreaterThan(2);
    expect(neverExisted).toEqual(revoked);
  });

  it("is the same for a token of an expired session", async () => {
    const { tenant, user } = await tenantWithUser(api, { sessionTtlSeconds: 3600 });
    const signedIn = await login(api, tenant.code, user.username);
    await api.deps.db.execute(sql`update sessions set expires_at = now() - interval '1 minute' where id = ${signedIn.session.id}`);

    const expired = await statementsOfRefusedRefresh(signedIn.refreshToken);
    const neverExisted = await statementsOfRefusedRefresh(`rt_${randomBytes(32).toString("base64url")}`);
    expect(neverExisted).toEqual(expired);
  });
});
