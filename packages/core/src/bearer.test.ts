import { describe, expect, it } from "vitest";
import { bearerToken, parseBearerAuthorization } from "./bearer.ts";

describe("parseBearerAuthorization", () => {
  it("reads a b64token after a case-insensitive Bearer", () => {
    expect(parseBearerAuthorization("Bearer abc.DEF-_~+/9")).toEqual({ kind: "token", token: "abc.DEF-_~+/9" });
    expect(parseBearerAuthorization("bearer   sk_abc  ")).toEqual({ kind: "token", token: "sk_abc" });
    expect(parseBearerAuthorization("Bearer abc==")).toEqual({ kind: "token", token: "abc==" });
  });
  it("calls a Bearer header with anything else after it malformed", () => {
    for (const header of ["Bearer", "Bearer ", "Bearer a b", "Bearer a=b", "Bearer a\u0000", "Bearer ä", "Bearer\tabc", "Bearer:abc"]) {
      expect(parseBearerAuthorization(header)).toEqual({ kind: "malformed" });
    }
  });
  it("calls no header, an empty one or another scheme absent", () => {
    for (const header of [null, undefined, "", "Basic dXNlcjpwYXNz", "Bearerabc", "Token abc"]) {
      expect(parseBearerAuthorization(header)).toEqual({ kind: "absent" });
    }
  });
  it("bearerToken gives the token or null", () => {
    expect(bearerToken("Bearer x")).toBe("x");
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });
});
