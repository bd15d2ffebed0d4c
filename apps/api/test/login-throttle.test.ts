/**
 * The password-guessing budget (services/auth/throttle.ts), over HTTP against the running API. The API's
 * clock is pinned in each test, so every attempt falls in the windows the test means, however
 * slowly the machine runs them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  LOGIN_ACCOUNT_RULE,
  LOGIN_ACCOUNT_SOURCE_DAY_RULE,
  LOGIN_ACCOUNT_SOURCE_RULE,
  LOGIN_SOURCE_RULE,
} from "../src/services/auth/throttle.ts";
import { DEFAULT_PASSWORD, clientFrom, failure, startAuthApi, tenantWithUser, testClock, uniqueIp } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

const clock = testClock();
let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi({ now: clock.now });
});
afterEach(() => clock.release());
afterAll(async () => api?.stop());

/** One sign-in attempt from `ip`: "ok" or what the refusal said. */
type Answer = "ok" | ReturnType<typeof failure>;

async function attempt(ip: string, tenant: string, identifier: string, password: string): Promise<Answer> {
  return clientFrom(api, ip)
    .auth.login.mutate({ tenant, identifier, password })
    .then((): Answer => "ok", failure);
}

async function wrongGuesses(count: number, ip: string, tenant: string, identifier: string) {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i++) answers.push(await attempt(ip, tenant, identifier, "wrong password"));
  return answers;
}

const codes = (answers: Answer[]) => answers.map((a) => (a === "ok" ? "ok" : a.code));

describe("password guessing budget", () => {
  it("throttles a stranger's source for the account, while the real user still signs in from elsewhere", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const stranger = uniqueIp();
    const guesses = await wrongGuesses(LOGIN_ACCOUNT_SOURCE_RULE.max, stranger, tenant.code, user.username);
    expect(new Set(codes(guesses))).toEqual(new Set(["UNAUTHORIZED"]));
    // Even the right password is refused from the stranger's source...
    const throttled = await attempt(stranger, tenant.code, user.username, DEFAULT_PASSWORD);
    expect(throttled).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429 });
    expect(throttled === "ok" ? 0 : throttled.retryAfterSeconds).toBeGreaterThan(0);
    // ...but the real user, somewhere else, is not locked out.
    expect(await attempt(uniqueIp(), tenant.code, user.username, DEFAULT_PASSWORD)).toBe("ok");
  });

  it("counts guesses by username and by email against one account", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const ip = uniqueIp();
    const half = LOGIN_ACCOUNT_SOURCE_RULE.max / 2;
    await wrongGuesses(half, ip, tenant.code, user.username);
    await wrongGuesses(half, ip, tenant.code, user.email!.toUpperCase());
    expect(await attempt(ip, tenant.code, user.username, "wrong password")).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  });

  it("answers a throttled unknown identifier exactly like a throttled real account", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const throttledAnswer = async (identifier: string) => {
      const ip = uniqueIp();
      await wrongGuesses(LOGIN_ACCOUNT_SOURCE_RULE.max, ip, tenant.code, identifier);
      return attempt(ip, tenant.code, identifier, "wrong password");
    };
    const real = await throttledAnswer(user.username);
    const ghost = await throttledAnswer("no-such-user");
    expect(real).toMatchObject({ code: "TOO_MANY_REQUESTS", message: expect.stringMatching(/^Too many sign-in attempts; try again in \d+ seconds?$/) });
    expect(ghost).toEqual(real);
  });

  it("does not count a right password as a guess", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const ip = uniqueIp();
    await wrongGuesses(LOGIN_ACCOUNT_SOURCE_RULE.max - 1, ip, tenant.code, user.username);
    expect(await attempt(ip, tenant.code, user.username, DEFAULT_PASSWORD)).toBe("ok");
    expect(await attempt(ip, tenant.code, user.username, "wrong password")).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await attempt(ip, tenant.code, user.username, "wrong password")).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  });

  it("backs off to the end of the day after repeated failures from one source", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const ip = uniqueIp();
    const rounds = LOGIN_ACCOUNT_SOURCE_DAY_RULE.max / LOGIN_ACCOUNT_SOURCE_RULE.max;
    for (let round = 0; round < rounds; round++) {
      expect(new Set(codes(await wrongGuesses(LOGIN_ACCOUNT_SOURCE_RULE.max, ip, tenant.code, user.username)))).toEqual(new Set(["UNAUTHORIZED"]));
      clock.advance(LOGIN_ACCOUNT_SOURCE_RULE.windowSeconds);
    }
    const refused = await attempt(ip, tenant.code, user.username, DEFAULT_PASSWORD);
    expect(refused).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect(refused === "ok" ? 0 : refused.retryAfterSeconds).toBeGreaterThan(LOGIN_ACCOUNT_SOURCE_RULE.windowSeconds);
    expect(await attempt(uniqueIp(), tenant.code, user.username, DEFAULT_PASSWORD)).toBe("ok");
  });

  it("limits the account as a whole only far higher, and never for a source the user signed in from", async () => {
    clock.pin();
    const { tenant, user } = await tenantWithUser(api);
    const home = uniqueIp();
    expect(await attempt(home, tenant.code, user.username, DEFAULT_PASSWORD)).toBe("ok");
    // A distributed guesser: every source stays under its own limit.
    for (let spent = 0; spent < LOGIN_ACCOUNT_RULE.max; spent += LOGIN_ACCOUNT_SOURCE_RULE.max) {
      await wrongGuesses(LOGIN_ACCOUNT_SOURCE_RULE.max, uniqueIp(), tenant.code, user.username);
    }
    expect(await attempt(uniqueIp(), tenant.code, user.username, DEFAULT_PASSWORD)).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect(await attempt(home, tenant.code, user.username, DEFAULT_PASSWORD)).toBe("ok");
  });

  it("throttles one source across accounts", async () => {
    clock.pin();
    const { tenant } = await tenantWithUser(api);
    const ip = uniqueIp();
    const answers: Answer[] = [];
    for (let i = 0; i <= LOGIN_SOURCE_RULE.max; i++) answers.push(await attempt(ip, tenant.code, `spray-${i}`, "x"));
    expect(new Set(codes(answers.slice(0, -1)))).toEqual(new Set(["UNAUTHORIZED"]));
    expect(answers.at(-1)).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect(await attempt(uniqueIp(), tenant.code, "spray-x", "x")).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("sends a Retry-After header with the 429 over plain HTTP", async () => {
    clock.pin();
    const { tenant } = await tenantWithUser(api);
    const ip = uniqueIp();
    let last: Response | undefined;
    for (let i = 0; i <= LOGIN_ACCOUNT_SOURCE_RULE.max; i++) {
      last = await fetch(`${api.url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": ip },
        body: JSON.stringify({ tenant: tenant.code, identifier: "retry-after-probe", password: "wrong" }),
      });
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
