import { describe, expect, it } from "vitest";
import { MAX_ACCESS_TOKEN_TTL_SECONDS, buildAccessTokenClaims, parseAccessTokenClaims } from "./tokens.ts";

const now = new Date("2026-01-01T00:00:00.900Z");
const input = {
  issuer: "https://sesame.test", audience: "sesame", userId: "0b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11",
  sessionId: "1b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11", tenantId: "2b7b3e02-6a5c-4d38-9a7e-2f8f3d6c1a11",
  generation: 1, ttlSeconds: 600, jti: "j1",
};

describe("access token claims", () => {
  it("sets iat from now in whole seconds and exp from the ttl", () => {
    const c = buildAccessTokenClaims(input, now);
    expect(c.iat).toBe(Math.floor(now.getTime() / 1000));
    expect(c.exp - c.iat).toBe(600);
  });
  it("caps the lifetime at 15 minutes", () => {
    const c = buildAccessTokenClaims({ ...input, ttlSeconds: 86_400 }, now);
    expect(c.exp - c.iat).toBe(MAX_ACCESS_TOKEN_TTL_SECONDS);
  });
  it("parses its own output and rejects a payload missing sid", () => {
    const c = buildAccessTokenClaims(input, now);
    expect(parseAccessTokenClaims(c)).toEqual(c);
    const { sid: _sid, ...withoutSid } = c;
    expect(parseAccessTokenClaims(withoutSid)).toBeNull();
  });
});
