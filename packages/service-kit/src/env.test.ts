import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseEnv, secretSchema } from "./env.ts";

const schema = z.object({ PORT: z.coerce.number().int().default(8080), NAME: z.string().default("sesame"), SECRET: z.optional(secretSchema) });

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseEnv", () => {
  it("treats an empty variable as unset, so defaults apply", () => {
    expect(parseEnv(schema, { PORT: "", NAME: "" })).toEqual({ PORT: 8080, NAME: "sesame" });
  });

  it("lists malformed values and missing ones in one ConfigError, each named", () => {
    const problems = problemsOf(() => parseEnv(schema, { PORT: "eighty" }, (rules) => rules.require("SECRET", "in production")));
    expect(problems).toEqual([expect.stringMatching(/^PORT: /), "SECRET is required in production"]);
  });

  it("runs the presence rules on what is set, empty values counting as unset", () => {
    const seen: Record<string, string>[] = [];
    parseEnv(schema, { NAME: "x", SECRET: "", OTHER: undefined }, (rules) => void seen.push({ ...rules.input }));
    expect(seen).toEqual([{ NAME: "x" }]);
  });

  it("says which configuration is invalid", () => {
    expect(() => parseEnv(schema, { PORT: "x" }, undefined, "edge configuration")).toThrow(/^Invalid edge configuration: PORT: [^\n]+$/);
    expect(() => parseEnv(schema, { PORT: "x", SECRET: "short" }, undefined, "edge configuration")).toThrow(/^Invalid edge configuration:\n {2}- PORT: .*\n {2}- SECRET: /);
  });
});

describe("secretSchema", () => {
  it("requires 32 characters of the bearer-token alphabet", () => {
    expect(secretSchema.safeParse("A".repeat(32)).success).toBe(true);
    expect(secretSchema.safeParse("A".repeat(31)).success).toBe(false);
    expect(secretSchema.safeParse(`${"A".repeat(32)} spaced`).success).toBe(false);
  });
});
