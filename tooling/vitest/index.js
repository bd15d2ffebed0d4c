// Plain JS so vitest can load it from node_modules without a TypeScript loader.
import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

/**
 * Inside the repo the published packages (@sesame/core, cache, client, edge) are read from their
 * sources through this export condition, so tests need no build; their published `exports` point at
 * dist. tsconfig.base.json (`customConditions`) and every tsx/esbuild/vite entry name it too.
 */
export const SOURCE_CONDITION = "@sesame/source";
// vitest's own server conditions (it drops "module"), with ours first. Set for every environment
// vitest runs code in: the tests (ssr) and the global setups (__vitest__).
const conditions = [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== "module")];

/**
 * Shared vitest preset: node environment, generous timeouts for real servers, no watch.
 * @param {import("vitest/node").InlineConfig} [overrides]
 */
export function sesameVitestConfig(overrides = {}) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: [SOURCE_CONDITION] } },
    environments: { __vitest__: { resolve: { conditions } } },
    test: {
      environment: "node",
      testTimeout: 30_000,
      hookTimeout: 120_000,
      watch: false,
      ...overrides,
    },
  });
}
