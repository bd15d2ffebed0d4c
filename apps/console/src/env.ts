/**
 * The console server's configuration, parsed once with the rules every Sesame service shares
 * (`@sesame/service-kit`); the only place it reads `process.env`. Every variable is optional in
 * development; with NODE_ENV=production the API's URL must be given.
 */
import { ConfigError, nodeEnvSchema, optionalPortSchema, parseEnv } from "@sesame/service-kit";
import { z } from "zod";

const positiveSeconds = (fallback: number) => z.coerce.number().int().min(60).max(30 * 24 * 3600).default(fallback);

export const consoleEnvSchema = z.object({
  NODE_ENV: nodeEnvSchema,
  HOST: z.string().default("127.0.0.1"),
  /** Contract §7; PORT is accepted when the console runs alone. */
  CONSOLE_PORT: optionalPortSchema,
  PORT: optionalPortSchema,
  SESAME_API_URL: z.url().optional(),
  /** The console's public origin (e.g. https://console.example.com) when it sits behind a proxy that rewrites Host. */
  CONSOLE_ORIGIN: z.url().optional(),
  CONSOLE_SESSION_IDLE_SECONDS: positiveSeconds(30 * 60),
  CONSOLE_SESSION_MAX_SECONDS: positiveSeconds(12 * 3600),
});

export interface ConsoleConfig {
  production: boolean;
  host: string;
  port: number;
  apiUrl: string;
  /** Null: the origin of each request's Host header. */
  publicOrigin: string | null;
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
}

export const DEFAULT_CONSOLE_PORT = 5173;
export const DEFAULT_API_URL = "http://127.0.0.1:4000";

const SUBJECT = "console configuration";

/** Throws `ConfigError` (from @sesame/service-kit) naming every problem. */
export function parseConsoleEnv(raw: Record<string, string | undefined>): ConsoleConfig {
  const env = parseEnv(
    consoleEnvSchema,
    raw,
    (rules) => {
      if (rules.input.NODE_ENV === "production") rules.require("SESAME_API_URL", "in production");
    },
    SUBJECT,
  );
  const production = env.NODE_ENV === "production";
  if (env.CONSOLE_SESSION_IDLE_SECONDS > env.CONSOLE_SESSION_MAX_SECONDS) {
    throw new ConfigError(["CONSOLE_SESSION_IDLE_SECONDS: must not exceed CONSOLE_SESSION_MAX_SECONDS"], SUBJECT);
  }
  return {
    production,
    host: env.HOST,
    port: env.CONSOLE_PORT ?? env.PORT ?? DEFAULT_CONSOLE_PORT,
    apiUrl: (env.SESAME_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, ""),
    publicOrigin: env.CONSOLE_ORIGIN ? new URL(env.CONSOLE_ORIGIN).origin : null,
    sessionIdleSeconds: env.CONSOLE_SESSION_IDLE_SECONDS,
    sessionMaxSeconds: env.CONSOLE_SESSION_MAX_SECONDS,
  };
}

export function readConsoleEnv(): ConsoleConfig {
  return parseConsoleEnv(process.env);
}
