/**
 * An outside app adopting Sesame from its published packages: the typed client for the admin and
 * sign-in calls, its own Hono service behind `sessionAuth`, and two JWT-only verifiers. Prints one
 * JSON report of what it saw; the repo's test asserts on it.
 */
import type { CacheConfig } from "@sesame/cache";
import { createCache } from "@sesame/cache/node";
import { createSesameClient, errorCode, errorReason } from "@sesame/client";
import { Hono } from "hono";
import { jwk } from "hono/jwk";
import { createService } from "./service.js";
import { honoJwkApp, joseVerifier, type TokenSettings } from "./verifiers.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const apiUrl = required("SESAME_API_URL");
const edgeUrl = required("SESAME_EDGE_URL");
const settings: TokenSettings = { issuer: required("SESAME_ISSUER"), audience: required("SESAME_AUDIENCE"), jwksUrl: `${apiUrl}/.well-known/jwks.json` };
const cache = createCache(JSON.parse(required("SESAME_CACHE_CONFIG")) as CacheConfig);

async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return `${errorCode(error) ?? "error"}:${errorReason(error) ?? ""}`;
  }
}

async function status(response: Response | Promise<Response>): Promise<{ status: number; body: unknown }> {
  const r = await response;
  return { status: r.status, body: await r.json().catch(() => null) };
}

try {
  const root = createSesameClient({ url: apiUrl, apiKey: required("SESAME_ROOT_KEY") });
  const { tenant, key } = await root.tenants.create.mutate({ code: required("TENANT_CODE"), name: "Adopter" });
  const admin = createSesameClient({ url: apiUrl, apiKey: key });
  const password = "correct horse battery staple";
  const user = await admin.users.create.mutate({ username: "ada", password, groups: ["staff"] });
  const login = await createSesameClient({ url: apiUrl }).auth.login.mutate({ tenant: tenant.code, identifier: "ada", password });
  // auth.login answers tokens, or a challenge when the tenant's MFA policy asks this user for a factor.
  if ("mfaRequired" in login) throw new Error("this tenant asks for a second factor; finish with auth.mfa.verify");
  const refreshed = await createSesameClient({ url: apiUrl }).auth.refresh.mutate({ refreshToken: login.refreshToken });
  const sessions = await admin.sessions.list.query({ userId: user.id });
  const token = refreshed.accessToken;

  const service = createService({ apiUrl, issuer: settings.issuer, introspectionSecret: required("SESAME_INTROSPECTION_SECRET"), store: cache.store });
  const bearer = { headers: { authorization: `Bearer ${token}` } };
  const jwt = honoJwkApp(settings);
  const verifyWithJose = joseVerifier(settings);
  // What the README warns of: hono/jwk told nothing about `typ` expects "JWT" and refuses the token.
  const untyped = new Hono();
  untyped.use("*", jwk({ jwks_uri: settings.jwksUrl, alg: ["EdDSA", "ES256"], verification: { iss: settings.issuer, aud: settings.audience } }));
  untyped.get("/", (c) => c.text("ok"));

  const before = {
    service: await status(service.request("/api/me", bearer)),
    serviceWithoutToken: await status(service.request("/api/me")),
    serviceMissingGroup: await status(service.request("/api/reports", bearer)),
    edge: (await fetch(`${edgeUrl}/orders`, bearer)).status,
    honoJwk: await status(jwt.request("/jwt/me", bearer)),
    honoJwkWithoutTyp: (await untyped.request("/", bearer)).status,
    jose: (await verifyWithJose(token)).sub,
  };

  const lock = await admin.users.lock.mutate({ userId: user.id, wipe: false });
  const after = {
    refresh: await outcome(() => createSesameClient({ url: apiUrl }).auth.refresh.mutate({ refreshToken: refreshed.refreshToken })),
    service: await status(service.request("/api/me", bearer)),
    edge: await status(fetch(`${edgeUrl}/orders`, bearer)),
    // JWT-only verification cannot see the lock: the token stays valid until it expires.
    honoJwk: (await jwt.request("/jwt/me", bearer)).status,
    jose: (await verifyWithJose(token)).sub,
  };

  console.log(
    JSON.stringify({
      userId: user.id,
      loginSessionId: login.session.id,
      refreshedSessionId: refreshed.session.id,
      sessionIds: sessions.map((s) => s.id),
      locked: lock.revocation.sessionIds,
      before,
      after,
    }),
  );
} finally {
  await cache.close();
}
