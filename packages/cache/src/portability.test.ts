/// <reference types="vite/client" />
// The package's main entry runs on edge runtimes: only the Node entry (node.ts), the ioredis files and
// the pooled Upstash client (upstash-node.ts, undici) may use Node.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("./**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

describe("@sesame/cache portability", () => {
  const nodeOnly = (path: string) => path === "./node.ts" || path === "./upstash-node.ts" || path.startsWith("./ioredis-");
  it("keeps node:, ioredis and undici out of everything but the Node entry and its Node-only files", () => {
    const checked = Object.entries(sources).filter(([path]) => !path.endsWith(".test.ts") && !nodeOnly(path));
    expect(checked.map(([path]) => path)).toEqual(expect.arrayContaining(["./index.ts", "./upstash-cache.ts", "./upstash-store.ts", "./rate-limiter.ts", "./cache-env.ts"]));
    expect(checked.filter(([, text]) => /from\s+["'](node:|ioredis|undici)/.test(text)).map(([path]) => path)).toEqual([]);
  });
  it("reaches no Node-only file from the main entry", () => {
    const reached = new Set<string>();
    const visit = (path: string) => {
      if (reached.has(path)) return;
      reached.add(path);
      for (const [, target] of (sources[path] ?? "").matchAll(/from\s+["'](\.\/[^"']+)["']/g)) visit(target!);
    };
    visit("./index.ts");
    expect([...reached].filter(nodeOnly)).toEqual([]);
  });
});
