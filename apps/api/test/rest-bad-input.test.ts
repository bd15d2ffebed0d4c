/**
 * Every route of `/openapi.json`, walked with bad input: malformed ids, unknown and mistyped
 * fields, NUL characters, malformed JSON, unknown query parameters. Each answer is a 4xx with the
 * REST error body, never a 500, whoever calls.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";
import { rest, type RestAnswer } from "./rest-fixtures.ts";

let api: ApiHarness;
const keys: Record<string, string> = {};
let tenantCode: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parsed document
let spec: any;
beforeAll(async () => {
  api = await startApi();
  const { key, tenant, admin } = await createTenantWithAdmin(api);
  tenantCode = tenant.code;
  const user = await admin.users.create.mutate({ username: `walker-${randomUUID().slice(0, 8)}` });
  const { accessToken } = await admin.sessions.create.mutate({ userId: user.id });
  Object.assign(keys, { apiKey: key, basicAuth: key, rootKey: api.config.rootKey, accessToken });
  spec = await (await fetch(`${api.url}/openapi.json`)).json();
});
afterAll(async () => api?.stop());

interface Operation {
  method: string;
  path: string;
  key: string | undefined;
  params: string[];
  query: string[];
  bodyProperties: string[] | null;
}

function operations(): Operation[] {
  return Object.entries(spec.paths as Record<string, Record<string, Record<string, never>>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]: [string, Record<string, never>]) => {
      const security = (op.security ?? []) as Record<string, unknown>[];
      const scheme = security[0] ? Object.keys(security[0])[0]! : null;
      const parameters = (op.parameters ?? []) as { in: string; name: string }[];
      const body = (op.requestBody as { content: Record<string, { schema: { properties?: Record<string, unknown>; $ref?: string } }> } | undefined)?.content["application/json"]?.schema;
      const resolved = body?.$ref ? spec.components.schemas[body.$ref.split("/").pop()!] : body;
      return {
        method: method.toUpperCase(),
        path,
        key: scheme ? keys[scheme] : undefined,
        params: parameters.filter((p) => p.in === "path").map((p) => p.name),
        query: parameters.filter((p) => p.in === "query").map((p) => p.name),
        bodyProperties: resolved ? Object.keys(resolved.properties ?? {}) : null,
      };
    }),
  );
}

const url = (op: Operation, fill: (name: string) => string) => op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(fill(name)));
const goodParam = (name: string) => (name === "tenant" ? tenantCode : randomUUID());

function expectClientError(answer: RestAnswer, what: string) {
  expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBeGreaterThanOrEqual(400);
  expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
  expect(answer.body, what).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  expect(answer.body, what).toHaveProperty("field");
}

describe("bad input on every REST route", () => {
  it("the spec lists the routes to walk", () => {
    expect(operations().length).toBeGreaterThan(40);
  });

  it("answers a malformed path parameter with 4xx naming it", async () => {
    for (const op of operations().filter((o) => o.params.some((p) => p !== "tenant"))) {
      const what = `${op.method} ${op.path}`;
      const answer = await rest(api, op.method, url(op, (name) => (name === "tenant" ? tenantCode : "not-a-uuid")), { key: op.key, ...(op.bodyProperties ? { body: {} } : {}) });
      expectClientError(answer, what);
      expect(answer.status, what).toBe(400);
    }
  });

  it("answers unknown, mistyped and NUL-holding body fields, and malformed JSON, with 400", async () => {
    for (const op of operations().filter((o) => o.bodyProperties)) {
      const path = url(op, goodParam);
      const what = `${op.method} ${op.path}`;
      expectClientError(await rest(api, op.method, path, { key: op.key, body: { unexpectedField: 1 } }), `${what} unknown field`);
      expectClientError(await rest(api, op.method, path, { key: op.key, body: [] }), `${what} array body`);
      expectClientError(await rest(api, op.method, path, { key: op.key, rawBody: '{"half":' }), `${what} malformed JSON`);
      const mistyped = Object.fromEntries(op.bodyProperties!.map((p) => [p, [{ deep: 1 }]]));
      expectClientError(await rest(api, op.method, path, { key: op.key, body: mistyped }), `${what} mistyped`);
      const nul = Object.fromEntries(op.bodyProperties!.map((p) => [p, "x\u0000y"]));
      expectClientError(await rest(api, op.method, path, { key: op.key, body: nul }), `${what} NUL`);
    }
  });

  it("answers unknown and malformed query parameters with 400", async () => {
    for (const op of operations().filter((o) => o.method === "GET" || o.query.length > 0)) {
      const path = url(op, goodParam);
      const what = `${op.method} ${op.path}`;
      expectClientError(await rest(api, op.method, `${path}?unexpected=1`, { key: op.key }), `${what} unknown parameter`);
      for (const name of op.query) {
        const answer = await rest(api, op.method, `${path}?${name}=%00not-valid`, { key: op.key });
        expectClientError(answer, `${what} ?${name}`);
      }
    }
  });

  it("answers every protected route without credentials with 401", async () => {
    for (const op of operations().filter((o) => o.key)) {
      const answer = await rest(api, op.method, url(op, goodParam), op.bodyProperties ? { body: {} } : {});
      expectClientError(answer, `${op.method} ${op.path}`);
      // A body that does not validate is refused before the caller is looked up (400), else 401.
      expect([400, 401], `${op.method} ${op.path}`).toContain(answer.status);
    }
  });
});
