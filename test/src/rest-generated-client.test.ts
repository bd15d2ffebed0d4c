// A client generated from the running API's /openapi.json by third-party tools (openapi-typescript
// + openapi-fetch) runs a full admin flow against the API on this run's Postgres and cache, and the
// edge then refuses the locked user's token.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { uniqueTenantCode } from "@sesame/api/testing";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStack, type Stack } from "./stack.ts";

const clientDir = fileURLToPath(new URL("../openapi-client/", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** What the test uses of admin-flow.ts (checked against the generated types by tsc above). */
interface AdminFlow {
  createTenant(rootKey: string, code: string): Promise<{ apiKey: string }>;
  userWithSession(apiKey: string, username: string): Promise<{ userId: string; sessionId: string; accessToken: string; sessionsListed: number }>;
  lockWithWipe(apiKey: string, userId: string): Promise<{ locked: boolean; receipt: { sessionIds: string[]; effectiveAt: string | null } }>;
  sessionState(apiKey: string, userId: string, sessionId: string): Promise<string>;
  eventTypes(apiKey: string, userId: string): Promise<string[]>;
  lockWithoutWipe(apiKey: string, userId: string): Promise<{ status: number; code?: string; field?: string | null }>;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ backends: inject("sesameBackends") });
});
afterAll(async () => stack?.stop());

describe("a client generated from /openapi.json", () => {
  it("type-checks, runs tenant key → users → sessions → lock with wipe → events, and the edge refuses the token", async () => {
    const spec = await (await fetch(`${stack.api.url}/openapi.json`)).json();
    await mkdir(`${clientDir}generated`, { recursive: true });
    await writeFile(`${clientDir}generated/sesame.ts`, astToString(await openapiTS(spec)));
    // The flow is checked against the generated types before it runs (a wrong path, body or field fails here).
    await expect(promisify(execFile)(process.execPath, [tsc, "-p", `${clientDir}tsconfig.json`])).resolves.toBeDefined();

    // Imported by URL: the module needs the generated file, which a fresh clone does not have.
    const { adminFlow } = (await import(/* @vite-ignore */ pathToFileURL(`${clientDir}admin-flow.ts`).href)) as { adminFlow: (baseUrl: string) => AdminFlow };
    const flow = adminFlow(stack.api.url);
    const { apiKey } = await flow.createTenant(stack.api.config.rootKey, uniqueTenantCode("G"));
    const username = `gen-${randomBytes(5).toString("hex")}`;
    const { userId, sessionId, accessToken, sessionsListed } = await flow.userWithSession(apiKey, username);
    expect(sessionsListed).toBe(1);
    expect((await stack.get("/orders", accessToken)).status).toBe(200);

    const { locked, receipt } = await flow.lockWithWipe(apiKey, userId);
    expect(locked).toBe(true);
    expect(receipt.sessionIds).toEqual([sessionId]);
    expect(receipt.effectiveAt).not.toBeNull();
    expect(await flow.sessionState(apiKey, userId, sessionId)).toBe("RESET");
    expect(await flow.eventTypes(apiKey, userId)).toEqual(expect.arrayContaining(["user.created", "session.created", "user.locked", "session.reset"]));
    expect(await flow.lockWithoutWipe(apiKey, userId)).toEqual({ status: 400, code: "BAD_REQUEST", field: "wipe" });

    const refused = await stack.get("/orders", accessToken);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: "session_reset" });
  });
});
