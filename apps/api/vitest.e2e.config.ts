import { sesameVitestConfig } from "@sesame/vitest-config";

// The browser check of /docs (`npm run test:docs`): Debian's Chromium. Not part of `npm test`, so that needs no browser.
export default sesameVitestConfig({
  globalSetup: ["./test/global-setup.ts"],
  fileParallelism: false,
  include: ["e2e/**/*.e2e.test.ts"],
  testTimeout: 90_000,
});
