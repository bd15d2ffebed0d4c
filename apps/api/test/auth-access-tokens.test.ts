import { errorCode, errorReason } from "@sesame/client";
import { JWKS_PATH } from "@sesame/core";
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

let api: ApiHarness;
let token: string;
let claims: JWTPayload;
let kid: string;
beforeAll(async () => {
  api = await startAuthApi();
  const { tenant, user } = await tenantWithUser(api);
  token = (await login(api, tenant.code, user.username)).accessToken;
  claims = decodeJwt(token);
  kid = decodeProtectedHeader(token).kid!;
});
afterAll(async () => api?.stop());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const me = (accessToken: string) => api.user(accessToken).auth.me.query();
const isUnauthorized = (e: unknown) => errorCode(e) === "UNAUTHORIZED";

/** Signs with the API's own active key: only the part under test is wrong. */
function signWithServerKey(payload: JWTPayload, header: Record<string, unknown> = {}) {
  return new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid, ...header }).sign(api.deps.keys.active.privateKey);
}

describe("access tokens", () => {
  it("accepts the token the API issued, and the same claims re-signed with its key (the forging method works)", async () => {
    await expect(me(token)).resolves.toBeTruthy();
    await expect(me(await signWithServerKey({ ...claims }))).resolves.toBeTruthy();
  });

  it("refuses a token signed by another key under the API's kid", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid }).sign(privateKey);
    await expect(me(forged)).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a token whose signature was tampered with", async () => {
    const [h, p, s] = token.split(".");
    const flipped = `${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}`;
    await expect(me(`${h}.${p}.${flipped}`)).rejects.toSatisfy(isUnauthorized);
    await expect(me(`${h}.${b64({ ...claims, sub: crypto.randomUUID() })}.${s}`)).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses HS256 signed with the public key (algorithm confusion)", async () => {
    const jwks = (await (await fetch(`${api.url}${JWKS_PATH}`)).json()) as { keys: Record<string, string>[] };
    const publicJwk = jwks.keys.find((k) => k.kid === kid)!;
    for (const secret of [JSON.stringify(publicJwk), publicJwk.x!, Buffer.from(publicJwk.x!, "base64url").toString("latin1")]) {
      const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid }).sign(new TextEncoder().encode(secret));
      await expect(me(forged)).rejects.toSatisfy(isUnauthorized);
    }
  });

  it("refuses alg none", async () => {
    for (const alg of ["none", "None", "NONE"]) {
      await expect(me(`${b64({ alg, typ: "at+jwt", kid })}.${b64(claims)}.`)).rejects.toSatisfy(isUnauthorized);
    }
  });

  it("refuses a wrong or missing typ", async () => {
    await expect(me(await signWithServerKey({ ...claims }, { typ: "JWT" }))).rejects.toSatisfy(isUnauthorized);
    await expect(me(await signWithServerKey({ ...claims }, { typ: undefined }))).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a wrong issuer", async () => {
    await expect(me(await signWithServerKey({ ...claims, iss: "https://evil.example" }))).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a wrong audience", async () => {
    await expect(me(await signWithServerKey({ ...claims, aud: "someone-else" }))).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses an expired token, and says so", async () => {
    const now = Math.floor(Date.now() / 1000);
    const error = await me(await signWithServerKey({ ...claims, iat: now - 1000, exp: now - 60 })).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("UNAUTHORIZED");
    expect((error as Error).message).toBe("Access token expired");
    expect(errorReason(error)).toBe("token_expired");
  });

  it("refuses a token whose session generation is stale, and one naming another session", async () => {
    await expect(me(await signWithServerKey({ ...claims, gen: (claims.gen as number) + 1 }))).rejects.toSatisfy(isUnauthorized);
    await expect(me(await signWithServerKey({ ...claims, sid: crypto.randomUUID() }))).rejects.toSatisfy(isUnauthorized);
  });

  // The edge's checks, now the API's too (one verifier in core): each token below is signed with the
  // API's real key and differs from a genuine one in the named part only.
  it("refuses a genuine token with padding appended", async () => {
    for (const padded of [`${token}=`, `${token}==`]) {
      const error = await me(padded).catch((e: unknown) => e);
      expect(errorCode(error)).toBe("UNAUTHORIZED");
      expect(errorReason(error)).toBe("invalid_token");
    }
  });

  it("refuses a token without a kid", async () => {
    await expect(me(await signWithServerKey({ ...claims }, { kid: undefined }))).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a token naming a key URL (jku), even one signed with the API's key", async () => {
    await expect(me(await signWithServerKey({ ...claims }, { jku: `${api.url}${JWKS_PATH}` }))).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a token issued in the future", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(me(await signWithServerKey({ ...claims, iat: now + 300, exp: now + 900 }))).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses a token living longer than 15 minutes", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(me(await signWithServerKey({ ...claims, iat: now, exp: now + 3_600 }))).rejects.toSatisfy(isUnauthorized);
  });

  it("refuses garbage and a missing token", async () => {
    await expect(me("not.a.jwt")).rejects.toSatisfy(isUnauthorized);
    await expect(api.anonymous().auth.me.query()).rejects.toSatisfy(isUnauthorized);
  });

  it("publishes only public key material", async () => {
    const jwks = (await (await fetch(`${api.url}${JWKS_PATH}`)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key).not.toHaveProperty("d");
    const { publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    expect(Object.keys(await exportJWK(publicKey)).every((k) => k in jwks.keys[0]!)).toBe(true);
  });
});
