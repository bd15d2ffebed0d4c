/**
 * Verifying a Sesame access token without the edge, configured exactly as README "Verify Sesame
 * tokens in your service" says: jose's remote JWKS, and hono/jwk.
 */
import { Hono } from "hono";
import { jwk } from "hono/jwk";
import type { JwtVariables } from "hono/jwt";
import { createRemoteJWKSet, jwtVerify } from "jose";

export interface TokenSettings {
  /** The API's `SESAME_ISSUER`. */
  issuer: string;
  /** The API's `SESAME_AUDIENCE` (default `sesame`). */
  audience: string;
  /** `$SESAME_API_URL/.well-known/jwks.json`. */
  jwksUrl: string;
}

export function joseVerifier(settings: TokenSettings) {
  const keys = createRemoteJWKSet(new URL(settings.jwksUrl));
  return async (token: string) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer: settings.issuer,
      audience: settings.audience,
      typ: "at+jwt",
      algorithms: ["EdDSA", "ES256"],
    });
    return payload;
  };
}

export function honoJwkApp(settings: TokenSettings) {
  const app = new Hono<{ Variables: JwtVariables<{ sub: string }> }>();
  app.use(
    "/jwt/*",
    jwk({
      jwks_uri: settings.jwksUrl,
      alg: ["EdDSA", "ES256"],
      verification: { iss: settings.issuer, aud: settings.audience, typ: "at+jwt" },
    }),
  );
  app.get("/jwt/me", (c) => c.json({ sub: c.get("jwtPayload").sub }));
  return app;
}
