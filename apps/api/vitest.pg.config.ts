import { sesameVitestConfig } from "@sesame/vitest-config";

// Tests that need real Postgres (several processes or connections on one database): `npm run test:pg`
// (`npm run test:webhooks` runs the webhook workers file alone).
// The global setup uses DATABASE_URL's server; the suite's first test checks that it did.
export default sesameVitestConfig({
  globalSetup: ["./test/global-setup.ts"],
  fileParallelism: false,
  include: ["test-pg/**/*.test.ts"],
  testTimeout: 120_000,
});
