import type { InlineConfig } from "vitest/node";
import type { UserConfig } from "vitest/config";
export declare function sesameVitestConfig(overrides?: InlineConfig): UserConfig;
