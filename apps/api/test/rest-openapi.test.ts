/**
 * `/openapi.json` is a valid OpenAPI 3.1 document (checked by @apidevtools/swagger-parser) that
 * describes every REST route the API serves; `/docs` is served by the API with nothing from elsewhere.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parsed document, checked field by field
let spec: any;
beforeAll(async () => {
  api = await startApi();
  spec = await (await fetch(`${api.url}/openapi.json`)).json();
});
afterAll(async () => api?.stop());

describe("GET /openapi.json", () => {
  it("passes the OpenAPI validator as a 3.1 document", async () => {
    expect(spec.openapi).toBe("3.1.0");
    await expect(SwaggerParser.validate(structuredClone(spec))).resolves.toBeDefined();
  });

  it("describes the admin, self-service and JourneyApps routes with their answers", () => {
    const operations = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations).toEqual(
      expect.arrayContaining([
        "POST /v1/users",
        "GET /v1/users/{userId}",
        "POST /v1/users/{userId}/lock",
        "POST /v1/users/{userId}/sessions/{sessionId}/wipe",
        "GET /v1/events",
        "POST /v1/auth/login",
        "POST /v1/auth/device",
        "GET /api/v4/{tenant}/users",
        "POST /api/v4/{tenant}/users/{user_id}/lock",
        "POST /api/v4/{tenant}/batch",
      ]),
    );
    const lock = spec.paths["/v1/users/{userId}/lock"].post;
    expect(lock.requestBody.content["application/json"].schema).toMatchObject({ required: ["wipe"], properties: { wipe: { type: "boolean" } } });
    expect(Object.keys(lock.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "404", "413", "429", "503"]));
    expect(spec.paths["/api/v4/{tenant}/users/{user_id}/lock"].post.responses["204"]).toBeDefined();
    expect(spec.components.schemas.Session.properties.syncStatus).toBeDefined();
  });
});

describe("GET /docs", () => {
  it("serves the reference page and its script from the API itself", async () => {
    const res = await fetch(`${api.url}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<script src="/docs/scalar.js"></script>');
    expect(html).toContain('"url":"/openapi.json"');
    // No CDN: every URL the page names is the API's own.
    expect(html.match(/https?:\/\//g)).toBeNull();
    const script = await fetch(`${api.url}/docs/scalar.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });
});
