import { defineConfig } from "tsdown";

// ESM + .d.ts for the published package; jose and zod stay dependencies.
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: true,
});
