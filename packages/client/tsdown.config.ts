import { defineConfig } from "tsdown";

// The router type comes from build/router-shape.d.ts (npm run build writes it first) and is bundled
// into dist/index.d.ts; @trpc/* stay the adopter's (peer dependencies).
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  platform: "neutral",
  target: "es2022",
  tsconfig: "tsconfig.build.json",
  dts: true,
  external: [/^@trpc\//],
});
