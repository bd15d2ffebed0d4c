import { defineConfig } from "tsdown";

// ESM + .d.ts for the published package. @sesame/service-kit is internal: the two schemas used from
// it are bundled in (code and types), so an adopter installs @sesame/core and the Redis clients only.
export default defineConfig({
  entry: ["src/index.ts", "src/node.ts"],
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: { eager: true },
  deps: { alwaysBundle: ["@sesame/service-kit"] },
});
