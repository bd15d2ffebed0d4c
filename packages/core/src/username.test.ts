import { describe, expect, it } from "vitest";
import { normalizeUsername, usernameKey, usernameProblem } from "./username.ts";

const problemOf = (input: string) => usernameProblem(normalizeUsername(input).display);

describe("usernameKey", () => {
  it.each([
    ["fullwidth", "ａｄｍｉｎ", "admin"],
    ["upper case", "ADMIN", "admin"],
    ["decomposed accent", "E\u0301mile", "Émile"],
    ["sharp s", "straße", "STRASSE"],
    ["ligature", "ﬁnn", "finn"],
  ])("gives %s the key of its plain form", (_what, variant, plain) => {
    expect(usernameKey(variant)).toBe(usernameKey(plain));
  });

  it("keeps the case and the composed form for display", () => {
    expect(normalizeUsername("E\u0301mile").display).toBe("\u00c9mile");
    expect(normalizeUsername("Ａｌｉｃｅ").display).toBe("Alice");
  });
});

describe("usernameProblem", () => {
  it.each(["ada", "Ada.Lovelace", "a_b-c.d", "Émile", "山田太郎", "yamada山田", "한국어", "Москва", "Ιωάννης", "user:42"])("accepts %j", (name) => {
    expect(problemOf(name)).toBeNull();
  });

  it.each([
    ["an @ (it would read as an email)", "alice@example.test", /@/],
    ["a zero-width space", "ad\u200bmin", /invisible/],
    ["a right-to-left override", "user\u202e", /format/],
    ["a space", "ada lovelace", /spaces/],
    ["a control character", "ada\u0007", /control/],
    ["a Cyrillic look-alike among Latin letters", "\u0430dmin", /mix scripts/],
    ["a Greek look-alike among Latin letters", "\u03bfscar", /mix scripts/],
    ["a symbol", "ada\u2665", /letters, digits/],
    ["a leading combining mark", "\u0301ada", /combining mark/],
    ["a script not recommended for identifiers", "\u13e3\u13b3\u13a9", /not one recommended/],
    ["nothing", "", /empty/],
  ])("refuses %s", (_what, name, message) => {
    expect(problemOf(name)).toMatch(message);
  });
});
