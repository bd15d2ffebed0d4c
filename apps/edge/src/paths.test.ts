import { describe, expect, it } from "vitest";
import { canonicalPath, compilePathPattern, isPublicPath, requiredGroupsFor } from "./paths.ts";

const publicPatterns = ["/public/*", "/status"].map(compilePathPattern);
const rules = [{ pattern: compilePathPattern("/admin/*"), groups: ["admin"] }, { pattern: compilePathPattern("/admin/billing/*"), groups: ["billing"] }];

describe("path patterns", () => {
  it("matches exact paths exactly and prefixes on segment boundaries", () => {
    expect(isPublicPath(publicPatterns, "/status")).toBe(true);
    expect(isPublicPath(publicPatterns, "/status/x")).toBe(false);
    expect(isPublicPath(publicPatterns, "/statusx")).toBe(false);
    expect(isPublicPath(publicPatterns, "/public")).toBe(true);
    expect(isPublicPath(publicPatterns, "/public/a/b")).toBe(true);
    expect(isPublicPath(publicPatterns, "/publicity")).toBe(false);
  });

  it("does not call a path public when the upstream could decode it into a private one", () => {
    expect(isPublicPath(publicPatterns, "/public/..%2Fadmin")).toBe(false);
    expect(isPublicPath(publicPatterns, "/public/..%5Cadmin")).toBe(false);
    expect(isPublicPath(publicPatterns, "/public/%E0%A4%A")).toBe(false);
    expect(isPublicPath(publicPatterns, "/public/a%20b")).toBe(true);
  });

  it("collects the groups of every matching rule, whatever the spelling or case", () => {
    expect(requiredGroupsFor(rules, "/admin/users")).toEqual(["admin"]);
    expect(requiredGroupsFor(rules, "/admin/billing/x")).toEqual(["admin", "billing"]);
    expect(requiredGroupsFor(rules, "/ADMIN/users")).toEqual(["admin"]);
    expect(requiredGroupsFor(rules, "/public/..%2Fadmin/x")).toEqual(["admin"]);
    expect(requiredGroupsFor(rules, "/other")).toEqual([]);
  });

  it("canonicalises like a decoding upstream", () => {
    expect(canonicalPath("/a/./b/../c")).toBe("/a/c");
    expect(canonicalPath("/a%2F..%2Fb")).toBe("/b");
    expect(canonicalPath("//a//b/")).toBe("/a/b/");
    expect(canonicalPath("/%zz")).toBeNull();
  });

  it("refuses malformed patterns", () => {
    expect(() => compilePathPattern("admin/*")).toThrow(/start with/);
    expect(() => compilePathPattern("/a/*/b")).toThrow(/final/);
    expect(compilePathPattern("/*")).toMatchObject({ exact: "/", prefix: true });
  });
});
