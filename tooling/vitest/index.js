// Plain JS so vitest can load it from node_modules without a TypeScript loader.
import { defineConfig } from "vitest/config";

/**
 * Shared vitest preset: node environment, generous timeouts for real servers, no watch.
 * @param {import("vitest/node").InlineConfig} [overrides]
 */
export function sesameVitestConfig(overrides = {}) {
  return defineConfig({
    test: {
      environment: "node",
      testTimeout: 30_000,
      hookTimeout: 120_000,
      watch: false,
      ...overrides,
    },
  });
}
