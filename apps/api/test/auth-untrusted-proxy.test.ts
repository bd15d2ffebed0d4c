import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_SOURCE_RULE } from "../src/services/auth/throttle.ts";
import { DEFAULT_PASSWORD, clientFrom, failure, startAuthApi, tenantWithUser, testClock, tokensOf, uniqueIp } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

// Its own file: embedded Postgres serves one connection, so one API at a time.
const clock = testClock();
let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi({ now: clock.now, config: { trustProxy: false } });
});
afterAll(async () => api?.stop());

describe("without a trusted proxy", () => {
  it("ignores X-Forwarded-For: the peer address is the client's", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const { session } = tokensOf(await clientFrom(api, uniqueIp()).auth.login.mutate({ tenant: tenant.code, identifier: user.username, password: DEFAULT_PASSWORD }));
    expect(session.ip).toBe("127.0.0.1");
  });

  it("does not let spoofed X-Forwarded-For addresses buy fresh rate-limit buckets", async () => {
    clock.pin();
    const { tenant } = await tenantWithUser(api);
    const answers = [];
    for (let i = 0; i <= LOGIN_SOURCE_RULE.max; i++) {
      answers.push(await clientFrom(api, uniqueIp()).auth.login.mutate({ tenant: tenant.code, identifier: `spoof-${i}`, password: "x" }).then(() => null, failure));
    }
    expect(answers.slice(0, -1).every((a) => a?.code === "UNAUTHORIZED")).toBe(true);
    expect(answers.at(-1)).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  });
});
