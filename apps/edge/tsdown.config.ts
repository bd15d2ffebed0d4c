import { defineConfig } from "tsdown";

// The library entry (sessionAuth, requireGroups, createEdgeApp, …) and the Node upstream transport
// (`@sesame/edge/node`, undici's pool) as ESM + .d.ts. hono is a peer
// dependency: the middleware's HTTPException must be the host app's, or its onError cannot see 401s.
// @sesame/service-kit is internal and bundled in (code and types).
export default defineConfig({
  entry: { index: "src/index.ts", "node-transport": "src/node-transport.ts" },
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: { eager: true },
  deps: { alwaysBundle: ["@sesame/service-kit"] },
});
