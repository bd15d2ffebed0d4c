/**
 * Forged and broken tokens of every kind, sent through the whole edge service: each gets a 401
 * naming the reason, none reaches the upstream, and no key is ever fetched from where a token says.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:net";
import { CompactSign } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRecordingUpstream, type RecordingUpstream } from "@sesame/dev-services";
import { MAX_TOKEN_LENGTH } from "@sesame/core";
import { createEdgeApp } from "../app.ts";
import { createSigningKey, startFakeApiOnTestCache, type FakeApi, type FakeSession, type SigningKey } from "../../test/support/fake-api.ts";

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** Counts TCP connections: a verifier that follows `jku`/`x5u` would show up here. */
async function startConnectionCounter(): Promise<{ url: string; connections: () => number; close(): void; server: Server }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/jwks.json`, connections: () => connections, close: () => server.close(), server };
}

describe("forged and invalid access tokens", () => {
  let stopStore: () => Promise<void>;
  let api: FakeApi;
  let upstream: RecordingUpstream;
  let listener: Awaited<ReturnType<typeof startConnectionCounter>>;
  let app: ReturnType<typeof createEdgeApp>;
  let session: FakeSession;
  let attacker: SigningKey;

  beforeAll(async () => {
    ({ api, stopStore } = await startFakeApiOnTestCache());
    upstream = await startRecordingUpstream();
    listener = await startConnectionCounter();
    app = createEdgeApp({ ...api.authOptions(), upstreamUrl: upstream.url });
    session = api.createSession();
    await api.cacheActive(session);
    attacker = await createSigningKey("attacker");
  });
  afterAll(async () => {
    listener?.close();
    await upstream?.close();
    await api?.close();
    await stopStore?.();
  });

  const claims = () => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: api.issuer, aud: api.audience, sub: session.uid, sid: session.sid, tid: session.tid, gen: session.gen, iat: now, exp: now + 600, jti: "j" };
  };
  const unsigned = (header: Record<string, unknown>, signature = "") => `${b64(header)}.${b64(claims())}.${signature}`;
  const hs256 = (secret: Uint8Array | string) => {
    const input = `${b64({ alg: "HS256", typ: "at+jwt", kid: api.currentKey.kid })}.${b64(claims())}`;
    return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
  };
  const signRaw = (header: Record<string, unknown>, payload: string | Uint8Array, key: SigningKey = api.currentKey) =>
    new CompactSign(typeof payload === "string" ? new TextEncoder().encode(payload) : payload)
      .setProtectedHeader({ alg: "EdDSA", ...header })
      .sign(key.privateKey);

  const forgeries: { name: string; error: "invalid_token" | "token_expired"; make: () => Promise<string> | string }[] = [
    { name: "alg none with an empty signature", error: "invalid_token", make: () => unsigned({ alg: "none", typ: "at+jwt", kid: api.currentKey.kid }) },
    { name: "alg None with a signature", error: "invalid_token", make: () => unsigned({ alg: "None", typ: "at+jwt", kid: api.currentKey.kid }, "c2ln") },
    { name: "alg NONE", error: "invalid_token", make: () => unsigned({ alg: "NONE", typ: "at+jwt", kid: api.currentKey.kid }, "c2ln") },
    { name: "HS256 keyed with the public key's raw bytes", error: "invalid_token", make: () => hs256(Buffer.from(api.currentKey.publicJwk.x!, "base64url")) },
    { name: "HS256 keyed with the public JWK as text", error: "invalid_token", make: () => hs256(JSON.stringify(api.currentKey.publicJwk)) },
    { name: "an unknown kid", error: "invalid_token", make: () => api.signToken(session, { key: attacker }) },
    { name: "the real kid on another key's signature", error: "invalid_token", make: () => api.signToken(session, { key: { ...attacker, kid: api.currentKey.kid } }) },
    { name: "no kid", error: "invalid_token", make: () => api.signToken(session, { header: { kid: undefined } }) },
    { name: "an embedded jwk header", error: "invalid_token", make: () => api.signToken(session, { key: attacker, header: { jwk: attacker.publicJwk } }) },
    { name: "a jku header", error: "invalid_token", make: () => api.signToken(session, { key: attacker, header: { jku: listener.url } }) },
    { name: "an x5u header", error: "invalid_token", make: () => api.signToken(session, { key: attacker, header: { x5u: listener.url } }) },
    { name: "an x5c header", error: "invalid_token", make: () => api.signToken(session, { header: { x5c: ["MIIB"] } }) },
    { name: "a crit header", error: "invalid_token", make: () => api.signToken(session, { header: { crit: ["b64"], b64: true } }) },
    { name: "an expired token", error: "token_expired", make: () => api.signToken(session, { claims: { iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 60 } }) },
    { name: "a token not valid yet (nbf)", error: "invalid_token", make: () => api.signToken(session, { claims: { nbf: Math.floor(Date.now() / 1000) + 300 } }) },
    { name: "a token issued in the future", error: "invalid_token", make: () => api.signToken(session, { claims: { iat: Math.floor(Date.now() / 1000) + 300, exp: Math.floor(Date.now() / 1000) + 900 } }) },
    { name: "a lifetime beyond the 15-minute cap", error: "invalid_token", make: () => api.signToken(session, { claims: { exp: Math.floor(Date.now() / 1000) + 7_200 } }) },
    { name: "a wrong issuer", error: "invalid_token", make: () => api.signToken(session, { claims: { iss: "https://evil.example" } }) },
    { name: "a wrong audience", error: "invalid_token", make: () => api.signToken(session, { claims: { aud: "another-service" } }) },
    { name: "typ JWT", error: "invalid_token", make: () => api.signToken(session, { header: { typ: "JWT" } }) },
    { name: "no typ", error: "invalid_token", make: () => api.signToken(session, { header: { typ: undefined } }) },
    { name: "a missing sid claim", error: "invalid_token", make: () => api.signToken(session, { claims: { sid: undefined } }) },
    { name: "a sub that is not a uuid", error: "invalid_token", make: () => api.signToken(session, { claims: { sub: "admin" } }) },
    { name: "a missing gen claim", error: "invalid_token", make: () => api.signToken(session, { claims: { gen: undefined } }) },
    { name: "one segment", error: "invalid_token", make: () => "abc" },
    { name: "two segments", error: "invalid_token", make: () => "abc.def" },
    { name: "four segments", error: "invalid_token", make: async () => `${await api.signToken(session)}.extra` },
    { name: "an empty payload segment", error: "invalid_token", make: () => `${b64({ alg: "EdDSA", typ: "at+jwt", kid: api.currentKey.kid })}..c2ln` },
    { name: "a header that is not JSON", error: "invalid_token", make: () => `${b64("not json")}.${b64(claims())}.c2ln` },
    { name: "a header that is a JSON array", error: "invalid_token", make: () => `${b64([1])}.${b64(claims())}.c2ln` },
    { name: "a signed payload that is not JSON", error: "invalid_token", make: () => signRaw({ typ: "at+jwt", kid: api.currentKey.kid }, "not json") },
    { name: "an oversized header", error: "invalid_token", make: () => api.signToken(session, { header: { pad: "x".repeat(2_000) } }) },
    { name: "an oversized token", error: "invalid_token", make: () => api.signToken(session, { claims: { pad: "x".repeat(MAX_TOKEN_LENGTH) } }) },
  ];

  it.each(forgeries)("rejects $name with 401 $error", async ({ make, error }) => {
    const before = upstream.requests.length;
    const res = await app.request("/anything", { headers: { authorization: `Bearer ${await make()}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]+"$/);
    expect(await res.json()).toMatchObject({ error });
    expect(upstream.requests.length).toBe(before);
  });

  it("never reached the upstream and never contacted a key URL a token named", () => {
    expect(upstream.requests).toEqual([]);
    expect(listener.connections()).toBe(0);
  });

  it("accepts the genuine token, with typ in its application/ form too (the control)", async () => {
    for (const token of [await api.signToken(session), await api.signToken(session, { header: { typ: "application/at+jwt" } })]) {
      const res = await app.request("/anything", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
    expect(upstream.requests).toHaveLength(2);
  });
});
