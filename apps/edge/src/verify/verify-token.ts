/**
 * Access-token verification: cheap structural checks first, so oversized or hostile tokens never
 * reach a key lookup or a signature check; then jose with the algorithm pinned; then the claims'
 * shape from @sesame/core.
 */
import { errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_TYPE,
  CLOCK_TOLERANCE_SECONDS,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  parseAccessTokenClaims,
  type AccessTokenClaims,
} from "@sesame/core";
import { KeySetUnavailableError } from "./jwks.ts";

/** Sesame's tokens are ~600 bytes; anything near this is not one of ours. */
export const MAX_TOKEN_LENGTH = 8_192;
/** Decoded header bytes: `{alg, typ, kid}` needs well under 200. */
export const MAX_HEADER_BYTES = 1_024;

/**
 * Header parameters that point the verifier at a key chosen by the token's author. The key comes
 * from our JWKS and nowhere else; `crit` could demand extensions we do not implement.
 */
const FORBIDDEN_HEADER_PARAMETERS = ["jwk", "jku", "x5u", "x5c", "crit"] as const;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export type TokenVerification =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: "invalid_token" | "token_expired"; description: string }
  /** The keys could not be fetched: the token may be fine, we cannot tell. */
  | { ok: false; reason: "unavailable"; description: string };

export interface AccessTokenVerifierOptions {
  issuer: string;
  audience: string;
  getKey: JWTVerifyGetKey;
  /** Seconds of skew tolerated on `exp`/`nbf`/`iat`; default CLOCK_TOLERANCE_SECONDS. */
  clockToleranceSeconds?: number;
}

const invalid = (description: string): TokenVerification => ({ ok: false, reason: "invalid_token", description });

/** Structural checks on the compact JWS, before any key lookup or crypto. Returns a failure or null. */
export function inspectTokenShape(token: string): TokenVerification | null {
  if (token.length > MAX_TOKEN_LENGTH) return invalid("The access token is too long");
  if (!COMPACT_JWS.test(token)) return invalid("The access token is not a signed JWT");
  const encodedHeader = token.slice(0, token.indexOf("."));
  if (encodedHeader.length > Math.ceil((MAX_HEADER_BYTES * 4) / 3)) return invalid("The access token header is too large");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64Url(encodedHeader)));
  } catch {
    return invalid("The access token header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return invalid("The access token header is not a JSON object");
  const fields = header as Record<string, unknown>;
  for (const name of FORBIDDEN_HEADER_PARAMETERS) {
    if (name in fields) return invalid(`The access token header must not carry ${name}`);
  }
  if (!(ACCESS_TOKEN_ALGORITHMS as readonly unknown[]).includes(fields.alg)) return invalid("The access token algorithm is not accepted");
  if (typeof fields.typ !== "string" || !isAccessTokenType(fields.typ)) return invalid(`The access token type must be ${ACCESS_TOKEN_TYPE}`);
  if (typeof fields.kid !== "string" || fields.kid.length === 0 || fields.kid.length > 256) return invalid("The access token header has no usable kid");
  return null;
}

/** RFC 9068 §4: "at+jwt", optionally with the "application/" prefix, case-insensitively. */
function isAccessTokenType(typ: string): boolean {
  const normalized = typ.toLowerCase();
  return normalized === ACCESS_TOKEN_TYPE || normalized === `application/${ACCESS_TOKEN_TYPE}`;
}

function decodeBase64Url(segment: string): Uint8Array {
  const base64 = segment.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/**
 * @example
 * const verify = createAccessTokenVerifier({ issuer, audience, getKey: keySet.getKey });
 * const result = await verify(token);
 * if (result.ok) result.claims.sid;
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): (token: string, now: Date) => Promise<TokenVerification> {
  const { issuer, audience, getKey, clockToleranceSeconds = CLOCK_TOLERANCE_SECONDS } = options;

  return async function verifyAccessToken(token, now) {
    const shapeProblem = inspectTokenShape(token);
    if (shapeProblem) return shapeProblem;

    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        typ: ACCESS_TOKEN_TYPE,
        issuer,
        audience,
        clockTolerance: clockToleranceSeconds,
        currentDate: now,
        requiredClaims: ["iss", "aud", "sub", "iat", "exp", "jti"],
      }));
    } catch (error) {
      return describeVerificationError(error);
    }

    const claims = parseAccessTokenClaims(payload);
    if (!claims) return invalid("The access token claims are malformed");
    const nowSeconds = Math.floor(now.getTime() / 1000);
    // Defence in depth against a signer bug: no Sesame token lives longer than the cap or is issued in the future.
    if (claims.exp - claims.iat > MAX_ACCESS_TOKEN_TTL_SECONDS) return invalid("The access token lifetime is too long");
    if (claims.iat > nowSeconds + clockToleranceSeconds) return invalid("The access token is issued in the future");
    return { ok: true, claims };
  };
}

function describeVerificationError(error: unknown): TokenVerification {
  if (error instanceof KeySetUnavailableError) return { ok: false, reason: "unavailable", description: "The signing keys cannot be fetched" };
  if (error instanceof errors.JWTExpired) return { ok: false, reason: "token_expired", description: "The access token has expired" };
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "iss":
        return invalid("The access token issuer is not accepted");
      case "aud":
        return invalid("The access token audience is not accepted");
      case "nbf":
        return invalid("The access token is not valid yet");
      case "typ":
        return invalid(`The access token type must be ${ACCESS_TOKEN_TYPE}`);
      default:
        return invalid(`The access token claim ${error.claim} is not valid`);
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey) return invalid("The access token is signed with an unknown key");
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("The access token signature is invalid");
  return invalid("The access token is malformed");
}
