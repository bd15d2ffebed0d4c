import { INTROSPECTION_PATH } from "@sesame/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/lib/logger.ts";
import { login, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

// The API's request log, read as JSON lines from its logger (what it writes when stdout is not a terminal).
const lines: string[] = [];
let api: ApiHarness;

beforeAll(async () => {
  api = await startAuthApi({ deps: { logger: createLogger("info", { write: (line: string) => void lines.push(line) }) } });
});
afterAll(async () => {
  await api?.stop();
});

type Line = { msg: string; method: string; path: string; status: number; ms: number; caller: string };

/** The request lines logged while `run` ran. */
async function logged(run: () => Promise<unknown>): Promise<Line[]> {
  const from = lines.length;
  await run().catch(() => {});
  return lines.slice(from).map((line) => JSON.parse(line) as Line).filter((line) => line.msg === "request");
}

describe("request log", () => {
  it("logs method, path without the query string, status, duration and caller kind, one line per request", async () => {
    const [line, ...rest] = await logged(() => fetch(`${api.url}/healthz?probe=secret-looking-value`));
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ method: "GET", path: "/healthz", status: 200, caller: "anonymous" });
    expect(typeof line!.ms).toBe("number");
    expect(JSON.stringify(line)).not.toContain("secret-looking-value");
  });

  it("names the caller kind the request authenticated as: root, api_key, user, edge; anonymous when refused", async () => {
    const { tenant, key, user } = await tenantWithUser(api);
    const { accessToken } = await login(api, tenant.code, user.username);
    const callerOf = async (run: () => Promise<unknown>) => (await logged(run)).map((l) => l.caller);

    expect(await callerOf(() => api.root().tenants.list.query())).toEqual(["root"]);
    expect(await callerOf(() => api.admin(key).tenants.get.query())).toEqual(["api_key"]);
    expect(await callerOf(() => api.user(accessToken).auth.me.query())).toEqual(["user"]);
    expect(await callerOf(() => fetch(`${api.url}/v1/tenant`, { headers: { authorization: `Bearer ${key}` } }))).toEqual(["api_key"]);
    const introspect = () => fetch(`${api.url}${INTROSPECTION_PATH}`, { method: "POST", headers: { authorization: `Bearer ${api.config.introspectionSecret}`, "content-type": "application/json" }, body: JSON.stringify({ sessionId: crypto.randomUUID() }) });
    expect(await callerOf(introspect)).toEqual(["edge"]);
    const refused = await logged(() => api.admin("sk_not_a_key").tenants.get.query());
    expect(refused).toMatchObject([{ caller: "anonymous", status: 401 }]);
  });

  it("never writes a credential", async () => {
    const { tenant, key, user } = await tenantWithUser(api);
    const { accessToken, refreshToken } = await login(api, tenant.code, user.username);
    const all = await logged(async () => {
      await api.admin(key).users.list.query({});
      await api.user(accessToken).auth.me.query();
      await api.anonymous().auth.refresh.mutate({ refreshToken });
    });
    expect(all).toHaveLength(3);
    const text = lines.join("\n");
    for (const secret of [key, accessToken, refreshToken, api.config.rootKey, api.config.introspectionSecret]) expect(text).not.toContain(secret);
  });
});
