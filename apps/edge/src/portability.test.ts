/// <reference types="vite/client" />
// Everything but the Node entry and its transport must run on edge runtimes; this backs up the lint rule, which
// cannot see package imports such as ioredis or @hono/node-server.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("./**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const NODE_ONLY = /from\s+["'](node:[^"']+|ioredis|undici|@hono\/node-server[^"']*|@sesame\/cache\/node|@sesame\/service-kit\/node|@sesame\/dev-services)["']|import\(["'](node:|ioredis|@sesame\/dev-services)/;

describe("apps/edge portability", () => {
  it("imports nothing Node-only outside node.ts, node-transport.ts and tests", () => {
    const nodeOnly = ["./node.ts", "./node-transport.ts"];
    const checked = Object.entries(sources).filter(([path]) => !path.endsWith(".test.ts") && !nodeOnly.includes(path));
    expect(checked.map(([path]) => path)).toEqual(expect.arrayContaining(["./app.ts", "./middleware.ts", "./worker.ts", "./verify/jwks.ts"]));
    expect(checked.filter(([, text]) => NODE_ONLY.test(text)).map(([path]) => path)).toEqual([]);
  });
});
