import { describe, expect, it } from "vitest";
import { compilePathPattern, compileRouteGroupRule, isPublicPath, normalizeMethod, normalizeRequestPath, requiredGroupsFor } from "./paths.ts";

const publicPatterns = ["/public/*", "/status"].map(compilePathPattern);
const rules = [compileRouteGroupRule("/admin/*", ["admin"]), compileRouteGroupRule("/admin/billing/*", ["billing"]), compileRouteGroupRule("delete /orders/*", ["sales-lead"])];

describe("normalizeRequestPath", () => {
  it("decodes escapes, resolves dot segments and collapses slashes", () => {
    expect(normalizeRequestPath("/a/./b/../c")).toEqual({ ok: true, path: "/a/c", encoded: "/a/c" });
    expect(normalizeRequestPath("//a//b/")).toEqual({ ok: true, path: "/a/b/", encoded: "/a/b/" });
    expect(normalizeRequestPath("/a/%2e%2E/b")).toEqual({ ok: true, path: "/b", encoded: "/b" });
    expect(normalizeRequestPath("/a/b/..")).toEqual({ ok: true, path: "/a/", encoded: "/a/" });
    expect(normalizeRequestPath("/../../etc")).toEqual({ ok: true, path: "/etc", encoded: "/etc" });
    expect(normalizeRequestPath("/")).toEqual({ ok: true, path: "/", encoded: "/" });
    // Already canonical: returned as they are.
    for (const path of ["/items", "/a/b/", "/a.b/c.", "/v1/users/42/a-b_c~d", "/a:b@c!$&'()*+,=~"]) {
      expect(normalizeRequestPath(path)).toEqual({ ok: true, path, encoded: path });
    }
    expect(normalizeRequestPath("/.well-known/x/")).toEqual({ ok: true, path: "/.well-known/x/", encoded: "/.well-known/x/" });
    expect(normalizeRequestPath("/a/.")).toEqual({ ok: true, path: "/a/", encoded: "/a/" });
    expect(normalizeRequestPath("/a/..")).toEqual({ ok: true, path: "/", encoded: "/" });
    expect(normalizeRequestPath("")).toMatchObject({ ok: false });
  });

  it("re-encodes what it decoded in one canonical spelling", () => {
    expect(normalizeRequestPath("/caf%c3%a9/a%20b")).toEqual({ ok: true, path: "/café/a b", encoded: "/caf%C3%A9/a%20b" });
    expect(normalizeRequestPath("/%61dmin")).toEqual({ ok: true, path: "/admin", encoded: "/admin" });
    expect(normalizeRequestPath("/a:b@c!$&'()*+,=~")).toMatchObject({ ok: true, encoded: "/a:b@c!$&'()*+,=~" });
    expect(normalizeRequestPath("/q%3Fx%23y")).toEqual({ ok: true, path: "/q?x#y", encoded: "/q%3Fx%23y" });
  });

  it("refuses what it cannot normalise or what another reader would split differently", () => {
    for (const path of [
      "/app/..%2f%zz%2f..%2fadmin/secret.txt",
      "/public/..;/admin/x",
      "/admin;x/y",
      "/public/..%2Fadmin",
      "/public/..%5Cadmin",
      "/public/%00",
      "/public/%252e%252e/admin",
      "/public/%zz",
      "/public/%E0%A4%A",
      "/public/%C0%AF",
      "/public/a%0Ab",
      "/public/a%7Fb",
      "/public/a\\b",
      "relative",
    ]) {
      expect(normalizeRequestPath(path), path).toMatchObject({ ok: false, problem: expect.any(String) });
    }
  });
});

describe("path patterns", () => {
  it("matches exact paths exactly and prefixes on segment boundaries", () => {
    expect(isPublicPath(publicPatterns, "/status")).toBe(true);
    expect(isPublicPath(publicPatterns, "/status/x")).toBe(false);
    expect(isPublicPath(publicPatterns, "/statusx")).toBe(false);
    expect(isPublicPath(publicPatterns, "/public")).toBe(true);
    expect(isPublicPath(publicPatterns, "/public/a/b")).toBe(true);
    expect(isPublicPath(publicPatterns, "/publicity")).toBe(false);
  });

  it("calls a path public only in the pattern's own letter case", () => {
    expect(isPublicPath(publicPatterns, "/PUBLIC/a")).toBe(false);
  });

  it("collects the groups of every matching rule, in any letter case", () => {
    expect(requiredGroupsFor(rules, "/admin/users", "GET")).toEqual(["admin"]);
    expect(requiredGroupsFor(rules, "/admin/billing/x", "GET")).toEqual(["admin", "billing"]);
    expect(requiredGroupsFor(rules, "/ADMIN/users", "GET")).toEqual(["admin"]);
    expect(requiredGroupsFor(rules, "/other", "GET")).toEqual([]);
  });

  it("applies a rule that names a method to that method only", () => {
    expect(requiredGroupsFor(rules, "/orders/7", "DELETE")).toEqual(["sales-lead"]);
    expect(requiredGroupsFor(rules, "/orders/7", "GET")).toEqual([]);
    expect(requiredGroupsFor(rules, "/admin/x", "DELETE")).toEqual(["admin"]);
  });

  it("reads methods as tokens in upper case, and refuses anything else", () => {
    expect(normalizeMethod("post")).toBe("POST");
    expect(normalizeMethod("GET /x")).toBeNull();
    expect(normalizeMethod("")).toBeNull();
    expect(() => compileRouteGroupRule("GE(T /x", ["a"])).toThrow(/not an HTTP method/);
    expect(() => compileRouteGroupRule("POST admin", ["a"])).toThrow(/start with/);
  });

  it("refuses malformed patterns", () => {
    expect(() => compilePathPattern("admin/*")).toThrow(/start with/);
    expect(() => compilePathPattern("/a/*/b")).toThrow(/final/);
    expect(compilePathPattern("/*")).toMatchObject({ exact: "/", prefix: true });
  });
});
