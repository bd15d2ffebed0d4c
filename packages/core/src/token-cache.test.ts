import { describe, expect, it } from "vitest";
import type { AccessTokenClaims } from "./tokens.ts";
import { createTokenCache } from "./token-cache.ts";

const now = new Date("2026-01-01T00:00:00Z");
const seconds = Math.floor(now.getTime() / 1000);
const claims = (exp: number): AccessTokenClaims => ({
  iss: "i", aud: "a", sub: "00000000-0000-4000-8000-000000000001", sid: "00000000-0000-4000-8000-000000000002",
  tid: "00000000-0000-4000-8000-000000000003", iat: seconds - 10, exp, jti: "j", gen: 1,
});

describe("token cache", () => {
  it("serves a verified token until its exp plus the clock tolerance, then forgets it", () => {
    const cache = createTokenCache({ clockToleranceSeconds: 5 });
    cache.set("t", claims(seconds + 60));
    expect(cache.get("t", now)).toEqual(claims(seconds + 60));
    expect(cache.get("t", new Date((seconds + 64) * 1000))).toBeDefined();
    expect(cache.get("t", new Date((seconds + 65) * 1000))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("keys by the exact token string", () => {
    const cache = createTokenCache();
    cache.set("abc", claims(seconds + 60));
    expect(cache.get("abc ", now)).toBeUndefined();
    expect(cache.get("ABC", now)).toBeUndefined();
  });

  it("stays within its bound, evicting the least recently used", () => {
    const cache = createTokenCache({ max: 2 });
    cache.set("a", claims(seconds + 60));
    cache.set("b", claims(seconds + 60));
    cache.get("a", now);
    cache.set("c", claims(seconds + 60));
    expect(cache.size).toBe(2);
    expect(cache.get("b", now)).toBeUndefined();
    expect(cache.get("a", now)).toBeDefined();
  });

  it("empties on clear", () => {
    const cache = createTokenCache();
    cache.set("a", claims(seconds + 60));
    cache.clear();
    expect(cache.get("a", now)).toBeUndefined();
  });
});
