import { describe, expect, it } from "vitest";
import { findNulCharacter, storableText } from "./find-nul.ts";

describe("findNulCharacter", () => {
  it("names the first field holding a NUL, in a value or a key", () => {
    expect(findNulCharacter({ a: "x", b: { c: ["ok", "n\u0000o"] } })).toBe("b.c.1");
    expect(findNulCharacter({ a: { "k\u0000": 1 } })).toBe("a");
    expect(findNulCharacter("bare\u0000")).toBe("");
    expect(findNulCharacter({ a: "clean", b: [1, null, true] })).toBeNull();
  });
});

describe("storableText", () => {
  it("puts U+FFFD where each NUL was", () => {
    expect(storableText("ok\u0000bin\u0000", 100)).toBe("ok\uFFFDbin\uFFFD");
  });

  it("cuts to the limit without leaving half a surrogate pair", () => {
    const text = `ab${"\u{1F600}"}cd`; // a, b, then a pair at 2–3
    expect(storableText(text, 4)).toBe(`ab${"\u{1F600}"}`);
    expect(storableText(text, 3)).toBe("ab");
    expect(storableText(text, 2)).toBe("ab");
    expect(storableText("short", 100)).toBe("short");
  });
});
