/**
 * Access-token verification, the one the API and the edge both run: cheap structural checks first,
 * so oversized or hostile tokens never reach a key lookup or a signature check; then jose with the
 * algorithm, type, issuer and audience pinned; then the claims. Where the keys come from (the API's
 * own key set, the edge's fetched JWKS) is the caller's `getKey`.
 */
import { errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_TYPE,
  CLOCK_TOLERANCE_SECONDS,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  parseAccessTokenClaims,
  type AccessTokenClaims,
} from "./tokens.ts";

/** Sesame's tokens are ~600 bytes; anything near this is not one of ours. */
export const MAX_TOKEN_LENGTH = 8_192;
/** Decoded header bytes: `{alg, typ, kid}` needs well under 200. */
export const MAX_HEADER_BYTES = 1_024;

/**
 * Header parameters that point the verifier at a key chosen by the token's author. The key comes
 * from Sesame's key set and nowhere else; `crit` could demand extensions nobody implements.
 */
const FORBIDDEN_HEADER_PARAMETERS = ["jwk", "jku", "x5u", "x5c", "crit"] as const;
/** Unpadded base64url only: `=` padding or any other byte is not a token Sesame signed. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export type AccessTokenFailure =
  | { ok: false; reason: "invalid_token" | "token_expired"; description: string }
  /** The keys could not be fetched: the token may be fine, nobody can tell. */
  | { ok: false; reason: "unavailable"; description: string };
export type AccessTokenVerification = { ok: true; claims: AccessTokenClaims } | AccessTokenFailure;

export interface AccessTokenVerifierOptions {
  issuer: string;
  audience: string;
  getKey: JWTVerifyGetKey;
  /** Seconds of skew tolerated on `exp`/`nbf`/`iat`; default CLOCK_TOLERANCE_SECONDS. */
  clockToleranceSeconds?: number;
  /** Recognises `getKey`'s "the key set cannot be fetched" errors; they become `unavailable`. */
  isKeySetUnavailable?: (error: unknown) => boolean;
}

const invalid = (description: string): AccessTokenFailure => ({ ok: false, reason: "invalid_token", description });

/** Structural checks on the compact JWS, before any key lookup or crypto. Returns a failure or null. */
export function inspectAccessTokenShape(token: string): AccessTokenFailure | null {
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

/**
 * Checks on a signature-verified payload: the claims' shape, and — defence in depth against a signer
 * bug — no lifetime beyond the cap and no `iat` in the future. Returns the claims or a failure.
 */
export function checkAccessTokenClaims(payload: unknown, now: Date, clockToleranceSeconds = CLOCK_TOLERANCE_SECONDS): AccessTokenVerification {
  const claims = parseAccessTokenClaims(payload);
  if (!claims) return invalid("The access token claims are malformed");
  if (claims.exp - claims.iat > MAX_ACCESS_TOKEN_TTL_SECONDS) return invalid("The access token lifetime is too long");
  if (claims.iat > Math.floor(now.getTime() / 1000) + clockToleranceSeconds) return invalid("The access token is issued in the future");
  return { ok: true, claims };
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
 * const verify = createAccessTokenVerifier({ issuer, audience, getKey: createLocalJWKSet(jwks) });
 * const result = await verify(token, now);
 * if (result.ok) result.claims.sid;
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): (token: string, now: Date) => Promise<AccessTokenVerification> {
  const { issuer, audience, getKey, clockToleranceSeconds = CLOCK_TOLERANCE_SECONDS, isKeySetUnavailable = () => false } = options;

  return async function verifyAccessToken(token, now) {
    const shapeProblem = inspectAccessTokenShape(token);
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
      if (isKeySetUnavailable(error)) return { ok: false, reason: "unavailable", description: "The signing keys cannot be fetched" };
      return describeVerificationError(error);
    }
    return checkAccessTokenClaims(payload, now, clockToleranceSeconds);
  };
}

function describeVerificationError(error: unknown): AccessTokenFailure {
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
