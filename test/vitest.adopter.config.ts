import { sesameVitestConfig } from "@sesame/vitest-config";

// `npm run test:adopter` (root): packs the built packages and installs them into a scratch app.
export default sesameVitestConfig({
  globalSetup: ["./global-setup.ts"],
  fileParallelism: false,
  include: ["adopter/**/*.test.ts"],
  testTimeout: 300_000,
});
