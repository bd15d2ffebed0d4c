import { randomInt } from "node:crypto";
import { errorCode, errorField } from "@sesame/client";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { enrollmentTokens, users } from "../src/db/schema.ts";
import { INVALID_ENROLLMENT_MESSAGE } from "../src/services/auth/enroll.ts";
import { ENROLL_SOURCE_RULE, ENROLL_TENANT_RULE } from "../src/services/auth/throttle.ts";
import { ENROLLMENT_MAX_FAILURES } from "../src/services/enrollment/enrollment-codes.ts";
import { clientFrom, failure, insertUser, newEnrollmentCode, sessionEvents, startAuthApi, uniqueIp } from "./auth-fixtures.ts";
import { createTenantWithAdmin, type ApiHarness } from "./harness.ts";

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

const at = (start: Date, seconds: number) => new Date(start.getTime() + seconds * 1000);
const isUnauthorized = (e: unknown) => errorCode(e) === "UNAUTHORIZED";
const wrongCode = (code: string) => String((Number(code) + 1) % 100_000_000).padStart(8, "0");

async function userWithCode(options: Parameters<typeof insertUser>[2] = {}) {
  const { tenant } = await createTenantWithAdmin(api);
  const user = await insertUser(api, tenant.id, { status: "pendingJoin", password: null, ...options });
  const code = await newEnrollmentCode(api, tenant.id, user.id);
  return { tenant, user, code, client: clientFrom(api, uniqueIp()) };
}

describe("auth.enroll", () => {
  it("redeems the code for a session and activates the pendingJoin user", async () => {
    const { user, code, client } = await userWithCode();
    const result = await client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token });
    expect(result.session).toMatchObject({ userId: user.id, provider: "enrollment", state: "ENROLLED", current: true });
    expect(result.refreshToken).toMatch(/^rt_/);
    const me = await api.user(result.accessToken).auth.me.query();
    expect(me.user).toMatchObject({ id: user.id, status: "active", enrolled: true });
    const [activated] = await api.deps.db.select({ status: users.status }).from(users).where(eq(users.id, user.id));
    expect(activated?.status).toBe("active");
  });

  it("redeems the code given with the tenant code instead of the enrollment id", async () => {
    const { tenant, user, code, client } = await userWithCode();
    const result = await client.auth.enroll.mutate({ tenant: tenant.code.toLowerCase(), token: code.token });
    expect(result.session).toMatchObject({ userId: user.id, provider: "enrollment", state: "ENROLLED" });
    await expect(client.auth.enroll.mutate({ tenant: tenant.code, token: code.token })).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a code given alone (a guess at every tenant's codes) as BAD_REQUEST naming tenant, before counting anything", async () => {
    const { code, client } = await userWithCode();
    const error = await client.auth.enroll.mutate({ token: code.token }).catch(failure);
    expect(error).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
    expect(errorField(await client.auth.enroll.mutate({ token: code.token }).catch((e: unknown) => e))).toBe("tenant");
    const [row] = await api.deps.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, code.enrollmentId));
    expect(row).toMatchObject({ failedAttempts: 0, usedAt: null });
  });

  it("compares a code given with a tenant only with that tenant's codes", async () => {
    const mine = await userWithCode();
    const elsewhere = await userWithCode();
    await expect(mine.client.auth.enroll.mutate({ tenant: mine.tenant.code, token: elsewhere.code.token })).rejects.toSatisfy(isUnauthorized);
    // Nor does a link of one tenant redeem under another's name.
    await expect(
      mine.client.auth.enroll.mutate({ tenant: mine.tenant.code, enrollmentId: elsewhere.code.enrollmentId, token: elsewhere.code.token }),
    ).rejects.toSatisfy(isUnauthorized);
    await expect(elsewhere.client.auth.enroll.mutate({ tenant: elsewhere.tenant.code, token: elsewhere.code.token })).resolves.toMatchObject({
      session: { userId: elsewhere.user.id },
    });
  });

  it("refuses a wrong code given with the tenant and leaves the right one usable", async () => {
    const { tenant, user, code, client } = await userWithCode();
    await expect(client.auth.enroll.mutate({ tenant: tenant.code, token: wrongCode(code.token) })).rejects.toSatisfy(isUnauthorized);
    await expect(client.auth.enroll.mutate({ tenant: tenant.code, token: code.token })).resolves.toMatchObject({ session: { userId: user.id } });
  });

  it("refuses a code given with the tenant when two of its live codes share the digits, but redeems it by id", async () => {
    const { tenant } = await createTenantWithAdmin(api);
    const make = async () => {
      const user = await insertUser(api, tenant.id, { status: "pendingJoin", password: null });
      return { user, code: await newEnrollmentCode(api, tenant.id, user.id) };
    };
    const first = await make();
    const second = await make();
    const [row] = await api.deps.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, first.code.enrollmentId));
    await api.deps.db.update(enrollmentTokens).set({ codeHash: row!.codeHash }).where(eq(enrollmentTokens.id, second.code.enrollmentId));
    const client = clientFrom(api, uniqueIp());
    await expect(client.auth.enroll.mutate({ tenant: tenant.code, token: first.code.token })).rejects.toSatisfy(isUnauthorized);
    await expect(client.auth.enroll.mutate({ enrollmentId: second.code.enrollmentId, token: first.code.token })).resolves.toMatchObject({
      session: { userId: second.user.id },
    });
  });

  it("accepts the code at 4:59 and refuses it at 5:01", async () => {
    const start = clock;
    const early = await userWithCode();
    clock = at(start, 4 * 60 + 59);
    await expect(early.client.auth.enroll.mutate({ enrollmentId: early.code.enrollmentId, token: early.code.token })).resolves.toBeTruthy();

    clock = start;
    const late = await userWithCode();
    clock = at(start, 5 * 60 + 1);
    const error = await late.client.auth.enroll.mutate({ enrollmentId: late.code.enrollmentId, token: late.code.token }).catch(failure);
    expect(error).toMatchObject({ code: "UNAUTHORIZED", message: INVALID_ENROLLMENT_MESSAGE });
  });

  it("is single use", async () => {
    const { code, client } = await userWithCode();
    await client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token });
    await expect(client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token })).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a sixth attempt even with the right code after five wrong guesses", async () => {
    const { user, code, client } = await userWithCode();
    for (let i = 0; i < ENROLLMENT_MAX_FAILURES; i++) {
      await expect(client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: wrongCode(code.token) })).rejects.toSatisfy(isUnauthorized);
    }
    const sixth = await client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token }).catch(failure);
    expect(sixth).toMatchObject({ code: "UNAUTHORIZED", message: INVALID_ENROLLMENT_MESSAGE });
    const [row] = await api.deps.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, code.enrollmentId));
    expect(row).toMatchObject({ failedAttempts: ENROLLMENT_MAX_FAILURES, usedAt: null });
    const [stillPending] = await api.deps.db.select({ status: users.status }).from(users).where(eq(users.id, user.id));
    expect(stillPending?.status).toBe("pendingJoin");
  });

  it("still accepts the right code after fewer than five wrong guesses", async () => {
    const { code, client } = await userWithCode();
    for (let i = 0; i < ENROLLMENT_MAX_FAILURES - 1; i++) {
      await expect(client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: wrongCode(code.token) })).rejects.toSatisfy(isUnauthorized);
    }
    await expect(client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token })).resolves.toBeTruthy();
  });

  it("answers unknown id, wrong code, used code and locked user identically", async () => {
    const wrong = await userWithCode();
    const used = await userWithCode();
    await used.client.auth.enroll.mutate({ enrollmentId: used.code.enrollmentId, token: used.code.token });
    const locked = await userWithCode({ locked: true });
    const answers = [
      await wrong.client.auth.enroll.mutate({ enrollmentId: crypto.randomUUID(), token: "12345678" }).catch(failure),
      await wrong.client.auth.enroll.mutate({ enrollmentId: wrong.code.enrollmentId, token: wrongCode(wrong.code.token) }).catch(failure),
      await used.client.auth.enroll.mutate({ enrollmentId: used.code.enrollmentId, token: used.code.token }).catch(failure),
      await locked.client.auth.enroll.mutate({ enrollmentId: locked.code.enrollmentId, token: locked.code.token }).catch(failure),
    ];
    for (const answer of answers) expect(answer).toEqual({ code: "UNAUTHORIZED", message: INVALID_ENROLLMENT_MESSAGE, httpStatus: 401, retryAfterSeconds: undefined });
  });

  it("enrolls the same device again into the same session", async () => {
    const { tenant, user, code, client } = await userWithCode();
    const device = { device: { id: "tablet-7" } };
    const first = await client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token, client: device });
    await api.user(first.accessToken).auth.logout.mutate();
    const second = await newEnrollmentCode(api, tenant.id, user.id);
    const again = await client.auth.enroll.mutate({ enrollmentId: second.enrollmentId, token: second.token, client: device });
    expect(again.session.id).toBe(first.session.id);
    expect(again.session.state).toBe("ENROLLED");
    expect((await sessionEvents(api, first.session.id)).map((e) => e.type)).toEqual(["session.created", "session.locked", "session.reenrolled"]);
    await expect(api.user(first.accessToken).auth.me.query()).rejects.toSatisfy(isUnauthorized);
  });

  it("limits attempts per client IP", async () => {
    const client = clientFrom(api, uniqueIp());
    const answers = [];
    for (let i = 0; i <= ENROLL_SOURCE_RULE.max; i++) {
      answers.push(await client.auth.enroll.mutate({ enrollmentId: crypto.randomUUID(), token: "00000000" }).then(() => null, failure));
    }
    expect(answers.slice(0, -1).every((a) => a?.code === "UNAUTHORIZED")).toBe(true);
    expect(answers.at(-1)).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429 });
    expect(answers.at(-1)?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("counts every address of one IPv6 /64 as one client", async () => {
    const prefix = `2001:db8:${randomInt(0, 0xffff).toString(16)}:${randomInt(0, 0xffff).toString(16)}`;
    const answers = [];
    for (let i = 1; i <= ENROLL_SOURCE_RULE.max + 1; i++) {
      const client = clientFrom(api, `${prefix}:${i.toString(16)}::${randomInt(1, 0xffff).toString(16)}`);
      answers.push(await client.auth.enroll.mutate({ enrollmentId: crypto.randomUUID(), token: "00000000" }).then(() => null, failure));
    }
    expect(answers.slice(0, -1).every((a) => a?.code === "UNAUTHORIZED")).toBe(true);
    expect(answers.at(-1)).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    const neighbour = clientFrom(api, `2001:db8:ffff:${randomInt(0, 0xffff).toString(16)}::1`);
    await expect(neighbour.auth.enroll.mutate({ enrollmentId: crypto.randomUUID(), token: "00000000" })).rejects.toSatisfy(isUnauthorized);
  });

  it("limits code-only guesses per tenant, across clients, without touching links or other tenants", async () => {
    const { tenant, user, code } = await userWithCode();
    const other = await userWithCode();
    const answers = [];
    let client = clientFrom(api, uniqueIp());
    for (let i = 0; i <= ENROLL_TENANT_RULE.max; i++) {
      // A fresh client whenever the per-client limit would get in the way: only the tenant's budget refuses.
      if (i % ENROLL_SOURCE_RULE.max === 0) client = clientFrom(api, uniqueIp());
      answers.push(await client.auth.enroll.mutate({ tenant: tenant.code, token: wrongCode(code.token) }).then(() => null, failure));
    }
    expect(answers.slice(0, -1).every((a) => a?.code === "UNAUTHORIZED")).toBe(true);
    expect(answers.at(-1)).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    const fresh = clientFrom(api, uniqueIp());
    await expect(fresh.auth.enroll.mutate({ tenant: tenant.code, token: code.token })).rejects.toSatisfy((e) => errorCode(e) === "TOO_MANY_REQUESTS");
    await expect(fresh.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token })).resolves.toMatchObject({ session: { userId: user.id } });
    await expect(fresh.auth.enroll.mutate({ tenant: other.tenant.code, token: other.code.token })).resolves.toMatchObject({ session: { userId: other.user.id } });
  });

  it("refuses a code with surrounding whitespace as BAD_REQUEST, without counting a guess", async () => {
    const { code, client } = await userWithCode();
    for (const token of [` ${code.token}`, `${code.token}\n`, `${wrongCode(code.token)} `]) {
      const error = await client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token }).catch((e: unknown) => e);
      expect(errorCode(error)).toBe("BAD_REQUEST");
      expect(errorField(error)).toBe("token");
    }
    const [row] = await api.deps.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, code.enrollmentId));
    expect(row?.failedAttempts).toBe(0);
    await expect(client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: code.token })).resolves.toBeTruthy();
  });

  it("wants the 8-digit code", async () => {
    const { code, client } = await userWithCode();
    const error = await client.auth.enroll.mutate({ enrollmentId: code.enrollmentId, token: "1234" }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
  });
});
