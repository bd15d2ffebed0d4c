// With SESAME_SIGNING_ALG=ES256 the API signs P-256 tokens that an express-style stack verifies:
// jsonwebtoken with the key from jwks-rsa, pinned to ES256, iss and aud (README "Verify Sesame
// tokens in your service"). The same token passes Sesame's own check; jsonwebtoken has no EdDSA.
import { JWKS_PATH } from "@sesame/core";
import { decodeProtectedHeader } from "jose";
import jwt from "jsonwebtoken";
import { JwksClient } from "jwks-rsa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi({ config: { signingAlgorithm: "ES256" } });
});
afterAll(async () => api?.stop());

function verifyExpressStyle(token: string, options: { algorithms: jwt.Algorithm[]; issuer: string; audience: string }) {
  const client = new JwksClient({ jwksUri: `${api.url}${JWKS_PATH}` });
  return new Promise<jwt.JwtPayload>((resolve, reject) => {
    jwt.verify(
      token,
      (header, callback) => void client.getSigningKey(header.kid).then((key) => callback(null, key.getPublicKey()), callback),
      options,
      (error, payload) => (error ? reject(error) : resolve(payload as jwt.JwtPayload)),
    );
  });
}

describe("an ES256 API and jsonwebtoken + jwks-rsa", () => {
  it("signs with ES256 and publishes a P-256 key", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const { accessToken } = await login(api, tenant.code, user.username);
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    const { keys } = (await (await fetch(`${api.url}${JWKS_PATH}`)).json()) as { keys: Record<string, unknown>[] };
    expect(keys).toEqual([expect.objectContaining({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" })]);
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("verifies the token with iss, aud and the algorithm pinned, and Sesame accepts it too", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const { accessToken } = await login(api, tenant.code, user.username);
    const payload = await verifyExpressStyle(accessToken, { algorithms: ["ES256"], issuer: api.config.issuer, audience: api.config.audience });
    expect(payload).toMatchObject({ sub: user.id, iss: api.config.issuer, aud: api.config.audience });
    await expect(api.user(accessToken).auth.me.query()).resolves.toMatchObject({ user: { id: user.id } });
  });

  it("refuses the token for another audience, another issuer, or an algorithm list without ES256", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const { accessToken } = await login(api, tenant.code, user.username);
    const ok = { algorithms: ["ES256"] as jwt.Algorithm[], issuer: api.config.issuer, audience: api.config.audience };
    await expect(verifyExpressStyle(accessToken, { ...ok, audience: "someone-else" })).rejects.toThrow(/audience invalid/);
    await expect(verifyExpressStyle(accessToken, { ...ok, issuer: "https://elsewhere.test" })).rejects.toThrow(/issuer invalid/);
    await expect(verifyExpressStyle(accessToken, { ...ok, algorithms: ["RS256"] })).rejects.toThrow(/invalid algorithm/);
  });
});
