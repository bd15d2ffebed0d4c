import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { errors } from "jose";
import { listen, type HttpListener } from "@sesame/service-kit/node";
import { closedPort } from "@sesame/dev-services";
import { createSigningKey, type SigningKey } from "../../test/support/fake-api.ts";
import { KeySetUnavailableError, createJwksKeySet } from "./jwks.ts";

let server: HttpListener | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serveKeys(keys: () => SigningKey[]) {
  let fetches = 0;
  const app = new Hono().get("/jwks", (c) => {
    fetches += 1;
    return c.json({ keys: keys().map((key) => key.publicJwk) });
  });
  server = await listen(app.fetch);
  return { url: `${server.url}/jwks`, fetches: () => fetches };
}
const header = (kid: string) => ({ alg: "EdDSA", kid });

describe("JWKS key set", () => {
  it("finds the key by kid and fetches the set once while fresh", async () => {
    const key = await createSigningKey();
    const jwks = await serveKeys(() => [key]);
    const keySet = createJwksKeySet({ url: jwks.url });
    await keySet.getKey(header(key.kid), { payload: "", signature: "" } as never);
    await keySet.getKey(header(key.kid), { payload: "", signature: "" } as never);
    expect(jwks.fetches()).toBe(1);
  });

  it("refetches for an unknown kid at most once per cooldown", async () => {
    const key = await createSigningKey();
    const jwks = await serveKeys(() => [key]);
    const keySet = createJwksKeySet({ url: jwks.url, cooldownMs: 60_000 });
    await keySet.getKey(header(key.kid), {} as never);
    for (let i = 0; i < 3; i += 1) await expect(keySet.getKey(header("forged"), {} as never)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(jwks.fetches()).toBe(1);
  });

  it("reports a changed key set, and only a changed one", async () => {
    let keys = [await createSigningKey()];
    const jwks = await serveKeys(() => keys);
    let changes = 0;
    const keySet = createJwksKeySet({ url: jwks.url, cooldownMs: 0, onChange: () => (changes += 1) });
    await keySet.getKey(header(keys[0]!.kid), {} as never);
    await expect(keySet.getKey(header("other"), {} as never)).rejects.toThrow();
    expect(jwks.fetches()).toBe(2);
    expect(changes).toBe(0);
    keys = [await createSigningKey()];
    await keySet.getKey(header(keys[0]!.kid), {} as never);
    expect(changes).toBe(1);
  });

  it("turns fetch failures into KeySetUnavailableError", async () => {
    const keySet = createJwksKeySet({ url: `http://127.0.0.1:${await closedPort()}/jwks` });
    await expect(keySet.getKey(header("k"), {} as never)).rejects.toBeInstanceOf(KeySetUnavailableError);
  });

  it("refreshes stale keys in the background", async () => {
    const key = await createSigningKey();
    const jwks = await serveKeys(() => [key]);
    const keySet = createJwksKeySet({ url: jwks.url, cacheMaxAgeMs: 0 });
    await keySet.getKey(header(key.kid), {} as never);
    const before = jwks.fetches();
    keySet.refreshIfStale();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(jwks.fetches()).toBe(before + 1);
  });
});
