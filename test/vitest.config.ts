import { sesameVitestConfig } from "@sesame/vitest-config";

export default sesameVitestConfig({
  globalSetup: ["./global-setup.ts"],
  fileParallelism: false,
  include: ["src/**/*.test.ts", "revocation/**/*.test.ts", "cluster/**/*.test.ts"],
});
