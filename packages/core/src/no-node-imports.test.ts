/// <reference types="vite/client" />
// packages/core must run anywhere: this guards it in addition to the lint rule.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("./**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

describe("packages/core portability", () => {
  it("imports no node: modules", () => {
    const offenders = Object.entries(sources)
      .filter(([path]) => !path.endsWith(".test.ts"))
      .filter(([, text]) => /from\s+["']node:|require\(["']node:/.test(text))
      .map(([path]) => path);
    expect(Object.keys(sources).length).toBeGreaterThan(3);
    expect(offenders).toEqual([]);
  });
});
