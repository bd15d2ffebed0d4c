/** Signs and verifies access tokens (contract §4): EdDSA, `typ: at+jwt`, `kid` in the header. */
import {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_TYPE,
  CLOCK_TOLERANCE_SECONDS,
  buildAccessTokenClaims,
  parseAccessTokenClaims,
  type AccessTokenClaims,
} from "@sesame/core";
import { SignJWT, createLocalJWKSet, jwtVerify, type JWK } from "jose";
import type { AppDeps } from "../deps.ts";
import { randomSecret } from "../lib/crypto.ts";

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
    .setProtectedHeader({ alg: "EdDSA", typ: ACCESS_TOKEN_TYPE, kid: deps.keys.active.kid })
    .sign(deps.keys.active.privateKey);
  return { token, claims, expiresAt: new Date(claims.exp * 1000) };
}

/** The published keys as a jose key set, rebuilt only when the set of kids changes. */
let cachedKeySet: { kids: string; keySet: ReturnType<typeof createLocalJWKSet> } | null = null;
function localKeySet(keys: JWK[]) {
  const kids = keys.map((k) => k.kid ?? "").join(",");
  if (cachedKeySet?.kids !== kids) cachedKeySet = { kids, keySet: createLocalJWKSet({ keys }) };
  return cachedKeySet.keySet;
}

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: "invalid_token" | "token_expired" };

/** Verifies a token against the published keys, with the algorithm, type, issuer and audience pinned. */
export async function verifyAccessToken(deps: Pick<AppDeps, "config" | "keys">, token: string, now: Date): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, localKeySet(deps.keys.publicJwks(now)), {
      algorithms: [...ACCESS_TOKEN_ALGORITHMS],
      typ: ACCESS_TOKEN_TYPE,
      issuer: deps.config.issuer,
      audience: deps.config.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
    });
    const claims = parseAccessTokenClaims(payload);
    return claims ? { ok: true, claims } : { ok: false, reason: "invalid_token" };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { ok: false, reason: code === "ERR_JWT_EXPIRED" ? "token_expired" : "invalid_token" };
  }
}
