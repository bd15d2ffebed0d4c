import { sesameVitestConfig } from "@sesame/vitest-config";

// Tests that need real Postgres (several processes on one database): `npm run test:webhooks`.
// The global setup uses DATABASE_URL's server; the suite's first test checks that it did.
export default sesameVitestConfig({
  globalSetup: ["./test/global-setup.ts"],
  fileParallelism: false,
  include: ["test-pg/**/*.test.ts"],
  testTimeout: 120_000,
});
