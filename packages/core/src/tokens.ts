/** Access-token claims (contract §4) and the limits the API and the edge agree on. */
// zod/mini: the edge checks every verified token's claims with this, also on Workers.
import * as z from "zod/mini";

/** RFC 9068 media type for JWT access tokens; both the API and the edge require it. */
export const ACCESS_TOKEN_TYPE = "at+jwt";
/** Upper bound for any tenant's `accessTokenTtlSeconds`: 15 minutes. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;
/** Clock skew tolerated on `exp`/`nbf`/`iat`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/**
 * Signature algorithms Sesame signs with (contract §4): Ed25519 (`EdDSA`, the default) or P-256
 * (`ES256`, for verifiers that cannot do EdDSA, such as jsonwebtoken). The API and the edge accept
 * exactly these; the key's JWK (`kty`/`crv`/`alg`) must match the token's `alg` as well.
 */
export const ACCESS_TOKEN_ALGORITHMS = ["EdDSA", "ES256"] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];
export const DEFAULT_ACCESS_TOKEN_ALGORITHM: AccessTokenAlgorithm = "EdDSA";
export const accessTokenAlgorithmSchema = z.enum(ACCESS_TOKEN_ALGORITHMS);

export const accessTokenClaimsSchema = z.object({
  iss: z.string().check(z.minLength(1)),
  aud: z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))]),
  sub: z.uuid(),
  sid: z.uuid(),
  tid: z.uuid(),
  iat: z.number().check(z.int()),
  exp: z.number().check(z.int()),
  jti: z.string().check(z.minLength(1)),
  /** Session authentication generation: bumped when a signed-out session enrolls again. */
  gen: z.number().check(z.int(), z.minimum(1)),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

export interface BuildAccessTokenClaimsInput {
  issuer: string;
  audience: string;
  userId: string;
  sessionId: string;
  tenantId: string;
  generation: number;
  ttlSeconds: number;
  jti: string;
}

/** Claims for a new access token. The lifetime is capped at 15 minutes whatever the tenant asks. */
export function buildAccessTokenClaims(input: BuildAccessTokenClaimsInput, now: Date): AccessTokenClaims {
  const iat = Math.floor(now.getTime() / 1000);
  const ttl = Math.min(Math.max(1, Math.floor(input.ttlSeconds)), MAX_ACCESS_TOKEN_TTL_SECONDS);
  return {
    iss: input.issuer,
    aud: input.audience,
    sub: input.userId,
    sid: input.sessionId,
    tid: input.tenantId,
    iat,
    exp: iat + ttl,
    jti: input.jti,
    gen: input.generation,
  };
}

/** Validates a verified JWT payload's shape. Returns null when a claim is missing or malformed. */
export function parseAccessTokenClaims(payload: unknown): AccessTokenClaims | null {
  const parsed = accessTokenClaimsSchema.safeParse(payload);
  return parsed.success ? parsed.data : null;
}
