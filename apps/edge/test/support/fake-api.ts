/**
 * A stand-in for the Sesame API, as the edge sees it: a JWKS of Ed25519 keys, access tokens signed
 * with them, and the introspection endpoint answering from an in-test session table and re-filling
 * the cache through a real store, the way the API does.
 */
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import {
  API_METADATA_PATH,
  DEFAULT_LEASE_SECONDS,
  INTROSPECTION_PATH,
  JWKS_PATH,
  activeCacheEntry,
  tombstoneCacheEntry,
  type ActiveCacheEntry,
  type IntrospectionResponse,
} from "@sesame/core";
import type { SessionCacheStore } from "@sesame/cache";
import { listen } from "@sesame/service-kit/node";
import { availableBackends } from "@sesame/cache/testing";
import { edgeOptionsForApi } from "../../src/api-options.ts";

export const AUDIENCE = "sesame";

export interface FakeSession {
  sid: string;
  uid: string;
  tid: string;
  gen: number;
  groups: string[];
  /** MFA factors verified in the session; none when left out. */
  factors?: string[];
  expiresAt: number;
  version: number;
  /** `reset`: signed out with a wipe (a RESET session). */
  state: "active" | "revoked" | "reset";
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface SignOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  key?: SigningKey;
}

export interface FakeApiOptions {
  store: SessionCacheStore;
  /** Holds every introspection answer this long, so concurrent calls overlap. */
  introspectionDelayMs?: number;
}

export async function createSigningKey(kid = `key-${randomUUID()}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" } };
}

export async function startFakeApi(options: FakeApiOptions) {
  const { store, introspectionDelayMs = 0 } = options;
  const secret = `introspection-${randomUUID()}`;
  const sessions = new Map<string, FakeSession>();
  const counters = { introspections: 0, jwksFetches: 0 };
  let keys: SigningKey[] = [await createSigningKey()];

  const app = new Hono();
  app.get(JWKS_PATH, (c) => {
    counters.jwksFetches += 1;
    return c.json({ keys: keys.map((key) => key.publicJwk) });
  });
  // Like the API's: what the edge compares its iss/aud with (the issuer is the fake's own URL).
  app.get(API_METADATA_PATH, (c) => {
    const origin = new URL(c.req.url).origin;
    return c.json({ issuer: origin, jwks_uri: `${origin}${JWKS_PATH}`, sesame_audience: AUDIENCE });
  });
  app.post(INTROSPECTION_PATH, async (c) => {
    if (c.req.header("authorization") !== `Bearer ${secret}`) return c.json({ error: "unauthorized" }, 401);
    counters.introspections += 1;
    const { sessionId } = await c.req.json<{ sessionId: string }>();
    if (introspectionDelayMs) await new Promise((resolve) => setTimeout(resolve, introspectionDelayMs));
    const session = sessions.get(sessionId);
    let answer: IntrospectionResponse;
    if (!session) answer = { active: false, reason: "session_not_found" };
    else if (session.state !== "active") answer = { active: false, reason: session.state === "reset" ? "session_reset" : "session_revoked" };
    else if (session.expiresAt <= Date.now()) answer = { active: false, reason: "session_expired" };
    else {
      const entry = activeEntry(session);
      // Like the API: re-fill the cache first, then answer.
      await store.put(entry, new Date());
      answer = { active: true, entry };
    }
    return c.json(answer);
  });

  const server = await listen(app.fetch);
  const issuer = server.url;
  const apiOptions = edgeOptionsForApi({ apiUrl: server.url, secret, audience: AUDIENCE });

  function activeEntry(session: FakeSession, leaseSeconds = DEFAULT_LEASE_SECONDS): ActiveCacheEntry {
    const { sid: id, uid: userId, tid: tenantId, gen: generation, groups: accessGroups, version } = session;
    return activeCacheEntry({ id, userId, tenantId, generation, accessGroups, factors: session.factors ?? [], version, expiresAt: new Date(session.expiresAt) }, { leaseSeconds, now: new Date() });
  }

  return {
    url: server.url,
    issuer,
    audience: AUDIENCE,
    jwksUrl: apiOptions.jwksUrl,
    introspectionUrl: apiOptions.introspection.url,
    secret,
    counters,
    sessions,
    get currentKey(): SigningKey {
      return keys[0]!;
    },

    /** Options for sessionAuth/createEdgeApp pointing at this API. */
    authOptions() {
      return { ...apiOptions, store, introspection: { ...apiOptions.introspection, timeoutMs: 1_000 } };
    },

    createSession(overrides: Partial<FakeSession> = {}): FakeSession {
      const session: FakeSession = {
        sid: randomUUID(), uid: randomUUID(), tid: randomUUID(), gen: 1, groups: ["staff"],
        expiresAt: Date.now() + 3_600_000, version: 1, state: "active", ...overrides,
      };
      sessions.set(session.sid, session);
      return session;
    },

    /** A token for the session; `claims`/`header` override (or, with `undefined`, remove) any field. */
    async signToken(session: FakeSession, sign: SignOptions = {}): Promise<string> {
      const key = sign.key ?? keys[0]!;
      const now = Math.floor(Date.now() / 1000);
      const payload = withoutUndefined({
        iss: issuer, aud: AUDIENCE, sub: session.uid, sid: session.sid, tid: session.tid, gen: session.gen,
        iat: now, exp: now + 900, jti: randomUUID(), ...sign.claims,
      });
      const header = withoutUndefined({ alg: "EdDSA", typ: "at+jwt", kid: key.kid, ...sign.header });
      return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
    },

    /** Writes the session's active entry, as the API does on sign-in or a group change. */
    async cacheActive(session: FakeSession, leaseSeconds?: number): Promise<void> {
      await store.put(activeEntry(session, leaseSeconds), new Date());
    },

    /** Signs the session out (with a wipe: `reset`), as the API does: state, version, then the tombstone. */
    async revoke(session: FakeSession, how: "revoked" | "reset" = "revoked"): Promise<void> {
      session.state = how;
      session.version += 1;
      await store.put(tombstoneCacheEntry({ id: session.sid, version: session.version }, how === "reset" ? "session_reset" : "session_revoked", new Date()), new Date());
    },

    /** Replaces the published keys: the old key is withdrawn. */
    async rotateKeys(): Promise<SigningKey> {
      keys = [await createSigningKey()];
      return keys[0]!;
    },

    close: () => server.close(),
  };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

export type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;


/** A fake API over the first available test cache backend; `stopStore` ends the backend. */
export async function startFakeApiOnTestCache(): Promise<{ api: FakeApi; stopStore: () => Promise<void> }> {
  const backend = await availableBackends(process.env)[0]!.start();
  const api = await startFakeApi({ store: backend.open().store });
  return { api, stopStore: backend.stop };
}
