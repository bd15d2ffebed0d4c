/// <reference types="vite/client" />
// The package's main entry runs on edge runtimes: only ioredis-store.ts (its own entry) may use Node.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("./**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

describe("@sesame/cache portability", () => {
  it("keeps node: and ioredis out of everything but the ioredis entry", () => {
    const checked = Object.entries(sources).filter(([path]) => !path.endsWith(".test.ts") && path !== "./ioredis-store.ts");
    expect(checked.map(([path]) => path)).toEqual(expect.arrayContaining(["./index.ts", "./upstash-store.ts", "./put-script.ts"]));
    expect(checked.filter(([, text]) => /from\s+["'](node:|ioredis)/.test(text)).map(([path]) => path)).toEqual([]);
  });
  it("does not export the ioredis store from the main entry", () => {
    expect(sources["./index.ts"]).not.toMatch(/ioredis-store/);
  });
});
