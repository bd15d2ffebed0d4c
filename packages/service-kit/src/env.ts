/**
 * How every Sesame service reads its environment: one error type listing every problem, one rule
 * for empty values, one wording for missing ones, and the value shapes both apps share. Runs
 * anywhere (the edge parses its Workers bindings with it).
 *
 * Written with `zod/mini` (about 25 KiB in a bundle where classic zod is 450 KiB): the Workers
 * entry parses its bindings with these rules. Classic schemas compose them unchanged
 * (`z.object({ SECRET: z.optional(secretSchema) })`) and `parseEnv` takes either kind.
 */
import { BEARER_TOKEN_PATTERN } from "@sesame/core";
import * as z from "zod/mini";
import type * as zc from "zod/v4/core";
import en from "zod/v4/locales/en.js";

// Classic zod installs its English messages when loaded; zod/mini does not, and where only mini
// is bundled (the Workers entry) a variable's problem would read "Invalid input".
z.config(en());

export class ConfigError extends Error {
  override readonly name = "ConfigError";

  /** @param subject what is configured, e.g. "edge configuration" */
  constructor(readonly problems: string[], subject = "configuration") {
    // One problem is one line (what a start script shows); several are listed under the subject.
    super(problems.length === 1 ? `Invalid ${subject}: ${problems[0]}` : `Invalid ${subject}:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/** What `parseEnv`'s presence rules see and report through. */
export interface EnvRules {
  /** The variables that are set (an empty value counts as unset). */
  readonly input: Readonly<Record<string, string>>;
  has(name: string): boolean;
  /** Reports `name` as missing when it is unset; `when` says why it is needed ("in production"). */
  require(name: string, when: string): void;
  problem(message: string): void;
}

/**
 * Parses an environment record (`process.env`, Workers bindings) with `schema`, runs the presence
 * `rules` on the same input even when the schema fails, and throws one `ConfigError` naming every
 * problem. An empty variable means unset: that is how `.env` files and CI templates spell "no value".
 *
 * @example
 * const env = parseEnv(schema, process.env, (rules) => {
 *   if (rules.input.NODE_ENV === "production") rules.require("DATABASE_URL", "in production");
 * });
 */
export function parseEnv<S extends zc.$ZodType>(
  schema: S,
  raw: Readonly<Record<string, unknown>>,
  rules?: (env: EnvRules) => void,
  subject?: string,
): zc.output<S> {
  const input = setVariables(raw);
  const parsed = z.safeParse(schema, input);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  const has = (name: string) => input[name] !== undefined;
  rules?.({
    input,
    has,
    require(name, when) {
      if (!has(name)) problems.push(`${name} is required ${when}`);
    },
    problem(message) {
      problems.push(message);
    },
  });
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems, subject);
  return parsed.data;
}

/** The string variables that hold a value. */
function setVariables(raw: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== ""));
}

/**
 * A shared secret sent as `Authorization: Bearer` (root key, introspection secret): long enough not
 * to be guessed, and within the RFC 6750 b64token grammar so it survives the trip.
 */
export const secretSchema = z
  .string()
  .check(
    z.minLength(32, "must be at least 32 characters"),
    z.regex(BEARER_TOKEN_PATTERN, "must use only the characters A-Z a-z 0-9 - . _ ~ + / (then optional trailing =): it is sent as a bearer token"),
  );

export const httpUrlSchema = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

export const nodeEnvSchema = z._default(z.enum(["development", "test", "production"]), "development");

const portNumber = z.coerce.number().check(z.int(), z.minimum(0), z.maximum(65_535));

/**
 * A port without a default: for the pair `<APP>_PORT` / `PORT` (contract §7), where the app's own
 * name wins and `PORT` serves an app run alone. `npm start` and `npm run dev` give each app its own.
 */
export const optionalPortSchema = z.optional(portNumber);
