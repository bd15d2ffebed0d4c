import { sesameVitestConfig } from "@sesame/vitest-config";

// Files run one at a time: embedded Postgres serves a single connection, and the machine has 2 cores.
export default sesameVitestConfig({
  globalSetup: ["./test/global-setup.ts"],
  fileParallelism: false,
  include: ["src/**/*.test.ts", "test/**/*.test.ts"],
});
