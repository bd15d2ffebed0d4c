// One flat config for the whole repo; each workspace runs `eslint src` against it.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

const noNodeBuiltins = {
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        { group: ["node:*"], message: "This code must run on edge runtimes: no node: imports." },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.data/**", "**/drizzle/**", "**/.wrangler/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // packages/core, the edge (except its Node entry and transport, benches and tests) and the main entries of
  // service-kit and cache run anywhere.
  { files: ["packages/core/src/**/*.ts"], rules: noNodeBuiltins },
  {
    files: ["packages/service-kit/src/**/*.ts", "packages/cache/src/**/*.ts"],
    ignores: ["packages/service-kit/src/listen.ts", "packages/service-kit/src/node.ts", "packages/cache/src/node.ts", "packages/cache/src/ioredis-*.ts", "**/*.test.ts"],
    rules: noNodeBuiltins,
  },
  {
    files: ["apps/edge/src/**/*.ts"],
    ignores: ["apps/edge/src/node.ts", "apps/edge/src/node-transport.ts", "apps/edge/src/**/*.test.ts"],
    rules: noNodeBuiltins,
  },
  // The console's SPA runs in the browser: hooks by the rules, no Node built-ins.
  {
    files: ["apps/console/src/web/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: { ...reactHooks.configs.recommended.rules, ...noNodeBuiltins },
  },
  // Only env.ts reads process.env; everything else takes config as arguments.
  {
    files: ["apps/*/src/**/*.ts"],
    ignores: ["apps/*/src/env.ts", "apps/*/src/**/*.test.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration in env.ts." }],
    },
  },
);
