/** Signs and verifies access tokens (contract §4): the active key's `alg` (EdDSA or ES256), `typ: at+jwt`, `kid` in the header. */
import { ACCESS_TOKEN_TYPE, buildAccessTokenClaims, createAccessTokenVerifier, createTokenCache, type AccessTokenVerification, type TokenCache } from "@sesame/core";
import { SignJWT, createLocalJWKSet, type JWK } from "jose";
import type { AppDeps } from "../../deps.ts";
import { randomSecret } from "../../lib/crypto.ts";

export interface IssueAccessTokenInput {
  userId: string;
  sessionId: string;
  tenantId: string;
  generation: number;
  ttlSeconds: number;
  /** Never later than the session's own end. */
  notAfter: Date;
}

export async function issueAccessToken(deps: Pick<AppDeps, "config" | "keys">, input: IssueAccessTokenInput, now: Date) {
  const claims = buildAccessTokenClaims(
    { issuer: deps.config.issuer, audience: deps.config.audience, jti: randomSecret(16), ...input },
    now,
  );
  claims.exp = Math.min(claims.exp, Math.floor(input.notAfter.getTime() / 1000));
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: deps.keys.active.alg, typ: ACCESS_TOKEN_TYPE, kid: deps.keys.active.kid })
    .sign(deps.keys.active.privateKey);
  return { token, claims, expiresAt: new Date(claims.exp * 1000) };
}

/**
 * A verifier over the published keys, rebuilt only when the set of kids (or the issuer) changes.
 * Verified tokens are remembered (core's token cache, as the edge does) until they expire, so a
 * device calling with one access token pays for its signature check once; the cache goes with the
 * verifier, so a key leaving the set forgets every token it signed. The session's standing is still
 * read from Postgres on every call (callers.ts): revocation is not cached here.
 */
let cachedVerifier: { fingerprint: string; verify: ReturnType<typeof createAccessTokenVerifier>; tokens: TokenCache } | null = null;
function verifierFor(deps: Pick<AppDeps, "config" | "keys">, keys: JWK[]) {
  const fingerprint = JSON.stringify([deps.config.issuer, deps.config.audience, ...keys.map((k) => k.kid ?? "")]);
  if (cachedVerifier?.fingerprint !== fingerprint) {
    const getKey = createLocalJWKSet({ keys });
    cachedVerifier = { fingerprint, verify: createAccessTokenVerifier({ issuer: deps.config.issuer, audience: deps.config.audience, getKey }), tokens: createTokenCache() };
  }
  return cachedVerifier;
}

/** Core's access-token verification (the edge's too) over the keys this API publishes. */
export async function verifyAccessToken(deps: Pick<AppDeps, "config" | "keys">, token: string, now: Date): Promise<AccessTokenVerification> {
  const verifier = verifierFor(deps, deps.keys.publicJwks(now));
  const claims = verifier.tokens.get(token, now);
  if (claims) return { ok: true, claims };
  const result = await verifier.verify(token, now);
  if (result.ok) verifier.tokens.set(token, result.claims);
  return result;
}
