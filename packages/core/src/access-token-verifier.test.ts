import { CompactSign, SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  MAX_TOKEN_LENGTH,
  checkAccessTokenClaims,
  createAccessTokenVerifier,
  inspectAccessTokenShape,
  type AccessTokenVerification,
} from "./access-token-verifier.ts";

const now = new Date("2026-01-01T00:00:00Z");
const nowSeconds = Math.floor(now.getTime() / 1000);
const issuer = "https://sesame.test";
const audience = "sesame";
const kid = "k1";
const b64 = (value: unknown) => btoa(typeof value === "string" ? value : JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
const baseClaims = {
  iss: issuer, aud: audience, sub: "0b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11", sid: "1b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11",
  tid: "2b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11", iat: nowSeconds, exp: nowSeconds + 600, jti: "j1", gen: 1,
};

let privateKey: CryptoKey;
let publicJwk: JWK;
let verify: (token: string, at?: Date) => Promise<AccessTokenVerification>;

function sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = privateKey) {
  const protectedHeader = Object.fromEntries(Object.entries({ alg: "EdDSA", typ: "at+jwt", kid, ...header }).filter(([, v]) => v !== undefined));
  const payload = Object.fromEntries(Object.entries({ ...baseClaims, ...claims }).filter(([, v]) => v !== undefined));
  return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key);
}

beforeAll(async () => {
  const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: "EdDSA" };
  const verifier = createAccessTokenVerifier({ issuer, audience, getKey: createLocalJWKSet({ keys: [publicJwk] }) });
  verify = (token, at = now) => verifier(token, at);
});

describe("createAccessTokenVerifier", () => {
  it("accepts a genuine token and returns its claims (the control)", async () => {
    expect(await verify(await sign())).toEqual({ ok: true, claims: baseClaims });
    expect((await verify(await sign({}, { typ: "application/at+jwt" }))).ok).toBe(true);
  });

  const refused: { name: string; make: () => Promise<string> | string; description: RegExp }[] = [
    { name: "a genuine token with == appended", make: async () => `${await sign()}==`, description: /not a signed JWT/ },
    { name: "a genuine token with a space inside", make: async () => `${await sign()} `, description: /not a signed JWT/ },
    { name: "no kid", make: () => sign({}, { kid: undefined }), description: /kid/ },
    { name: "an empty kid", make: () => sign({}, { kid: "" }), description: /kid/ },
    { name: "a jku header", make: () => sign({}, { jku: "https://evil.example/jwks" }), description: /jku/ },
    { name: "a jwk header", make: () => sign({}, { jwk: publicJwk }), description: /jwk/ },
    { name: "an x5u header", make: () => sign({}, { x5u: "https://evil.example/cert" }), description: /x5u/ },
    { name: "an x5c header", make: () => sign({}, { x5c: ["MIIB"] }), description: /x5c/ },
    { name: "a crit header", make: () => sign({}, { crit: ["b64"], b64: true }), description: /crit/ },
    { name: "alg none", make: () => `${b64({ alg: "none", typ: "at+jwt", kid })}.${b64(baseClaims)}.`, description: /not a signed JWT/ },
    { name: "alg HS256", make: () => `${b64({ alg: "HS256", typ: "at+jwt", kid })}.${b64(baseClaims)}.c2ln`, description: /algorithm/ },
    { name: "typ JWT", make: () => sign({}, { typ: "JWT" }), description: /type/ },
    { name: "no typ", make: () => sign({}, { typ: undefined }), description: /type/ },
    { name: "an iat in the future", make: () => sign({ iat: nowSeconds + 60, exp: nowSeconds + 600 }), description: /future/ },
    { name: "a lifetime beyond 15 minutes", make: () => sign({ exp: nowSeconds + 901 }), description: /lifetime/ },
    { name: "a wrong issuer", make: () => sign({ iss: "https://evil.example" }), description: /issuer/ },
    { name: "a wrong audience", make: () => sign({ aud: "other" }), description: /audience/ },
    { name: "an nbf in the future", make: () => sign({ nbf: nowSeconds + 60 }), description: /not valid yet/ },
    { name: "a missing sid", make: () => sign({ sid: undefined }), description: /malformed/ },
    { name: "a missing gen", make: () => sign({ gen: undefined }), description: /malformed/ },
    { name: "a missing jti", make: () => sign({ jti: undefined }), description: /jti/ },
    { name: "an unknown kid", make: () => sign({}, { kid: "k2" }), description: /unknown key/ },
    { name: "another key's signature under our kid", make: async () => sign({}, {}, (await generateKeyPair("EdDSA", { crv: "Ed25519" })).privateKey), description: /signature/ },
    {
      name: "a signed payload that is not JSON",
      make: () => new CompactSign(new TextEncoder().encode("not json")).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid }).sign(privateKey),
      description: /malformed/,
    },
  ];
  it.each(refused)("refuses $name as invalid_token", async ({ make, description }) => {
    const result = await verify(await make());
    expect(result).toMatchObject({ ok: false, reason: "invalid_token" });
    expect(!result.ok && result.description).toMatch(description);
  });

  it("refuses an expired token as token_expired, with the clock tolerance", async () => {
    const token = await sign({ iat: nowSeconds - 600, exp: nowSeconds - 4 });
    expect((await verify(token)).ok).toBe(true);
    expect(await verify(await sign({ iat: nowSeconds - 600, exp: nowSeconds - 5 }))).toMatchObject({ ok: false, reason: "token_expired" });
  });

  it("reports unavailable only for the errors the caller says mean the key set is down", async () => {
    const down = new Error("JWKS down");
    const getKey = () => Promise.reject(down);
    const knowing = createAccessTokenVerifier({ issuer, audience, getKey, isKeySetUnavailable: (e) => e === down });
    const unknowing = createAccessTokenVerifier({ issuer, audience, getKey });
    const token = await sign();
    expect(await knowing(token, now)).toMatchObject({ ok: false, reason: "unavailable" });
    expect(await unknowing(token, now)).toMatchObject({ ok: false, reason: "invalid_token" });
  });
});

describe("the algorithms: EdDSA and ES256, nothing else", () => {
  /** A verifier over a JWKS holding the Ed25519 key above and one key of `alg`, under kid "k2". */
  async function withSecondKey(alg: string, options: { crv?: string; modulusLength?: number } = {}) {
    const pair = await generateKeyPair(alg, { ...options, extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k2", alg };
    const verifier = createAccessTokenVerifier({ issuer, audience, getKey: createLocalJWKSet({ keys: [publicJwk, jwk] }) });
    return { key: pair.privateKey, verify: (token: string) => verifier(token, now) };
  }

  it("accepts an ES256 (P-256) token from the key set, beside EdDSA ones", async () => {
    const es = await withSecondKey("ES256");
    expect(await es.verify(await sign({}, { alg: "ES256", kid: "k2" }, es.key))).toEqual({ ok: true, claims: baseClaims });
    expect((await es.verify(await sign())).ok).toBe(true);
  });

  it.each([
    ["ES384", {}],
    ["ES512", {}],
    ["RS256", { modulusLength: 2048 }],
    ["PS256", { modulusLength: 2048 }],
  ])("refuses %s even when its key is in the key set", async (alg, options) => {
    const other = await withSecondKey(alg, options);
    const result = await other.verify(await sign({}, { alg, kid: "k2" }, other.key));
    expect(result).toMatchObject({ ok: false, reason: "invalid_token", description: "The access token algorithm is not accepted" });
  });

  it("refuses a token whose alg does not match its key (ES256 header, Ed25519 kid)", async () => {
    const es = await withSecondKey("ES256");
    // Signed by the P-256 key but naming the Ed25519 key: no key of the set fits both kid and alg.
    const result = await es.verify(await sign({}, { alg: "ES256", kid }, es.key));
    expect(result).toMatchObject({ ok: false, reason: "invalid_token" });
  });
});

describe("inspectAccessTokenShape", () => {
  it("rejects oversized tokens and headers before decoding anything else", () => {
    expect(inspectAccessTokenShape(`a.${"b".repeat(MAX_TOKEN_LENGTH)}.c`)).toMatchObject({ ok: false, description: "The access token is too long" });
    expect(inspectAccessTokenShape(`${b64({ alg: "EdDSA", pad: "x".repeat(1_100) })}.e30.c2ln`)).toMatchObject({ ok: false, description: "The access token header is too large" });
  });
  it("rejects headers that are not a JSON object", () => {
    expect(inspectAccessTokenShape(`${b64("nope")}.e30.c2ln`)).toMatchObject({ description: /not valid JSON/ });
    expect(inspectAccessTokenShape(`${b64([1])}.e30.c2ln`)).toMatchObject({ description: /not a JSON object/ });
  });
  it("passes a well-formed header on to the signature check", () => {
    expect(inspectAccessTokenShape(`${b64({ alg: "EdDSA", typ: "at+jwt", kid: "k" })}.e30.c2ln`)).toBeNull();
  });
});

describe("checkAccessTokenClaims", () => {
  it("accepts an iat within the clock tolerance and a lifetime of exactly 15 minutes", () => {
    expect(checkAccessTokenClaims({ ...baseClaims, iat: nowSeconds + 5, exp: nowSeconds + 905 }, now)).toMatchObject({ ok: true });
  });
  it("refuses an iat beyond the tolerance and a lifetime one second too long", () => {
    expect(checkAccessTokenClaims({ ...baseClaims, iat: nowSeconds + 6 }, now)).toMatchObject({ ok: false, description: /future/ });
    expect(checkAccessTokenClaims({ ...baseClaims, exp: nowSeconds + 901 }, now)).toMatchObject({ ok: false, description: /lifetime/ });
  });
});
