import { sesameVitestConfig } from "@sesame/vitest-config";

// The browser tests (`npm run test:console`): real Chromium against API + edge + console.
// Not part of `npm test`, so that needs no browser.
export default sesameVitestConfig({
  globalSetup: ["./test/global-setup.ts"],
  fileParallelism: false,
  include: ["e2e/**/*.e2e.test.ts"],
  testTimeout: 60_000,
});
