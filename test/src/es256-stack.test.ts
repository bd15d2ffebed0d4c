// An API signing with ES256 (SESAME_SIGNING_ALG=ES256) behind the real edge: the edge's verifier
// (core's, pinned to EdDSA and ES256) accepts its tokens, and a lock still applies on the next request.
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStack, type Stack } from "./stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ backends: inject("sesameBackends"), api: { config: { signingAlgorithm: "ES256" } } });
});
afterAll(async () => stack?.stop());

describe("edge + an ES256 API", () => {
  it("lets the ES256 token through, then refuses it after users.lock", async () => {
    const { accessToken, user } = await stack.newSession();
    expect(decodeProtectedHeader(accessToken).alg).toBe("ES256");
    expect((await stack.get("/orders", accessToken)).status).toBe(200);
    await stack.admin.users.lock.mutate({ userId: user.id, wipe: false });
    const refused = await stack.get("/orders", accessToken);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: "session_revoked" });
  });
});
