import { sesameVitestConfig } from "@sesame/vitest-config";

// The console server against a real API; the browser tests have their own config (vitest.e2e.config.ts).
export default sesameVitestConfig({
  globalSetup: ["./test/global-setup.ts"],
  fileParallelism: false,
  include: ["test/**/*.test.ts", "src/**/*.test.ts"],
});
