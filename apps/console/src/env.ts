/**
 * The console server's configuration, parsed once; the only place it reads `process.env`.
 * Every variable is optional in development; with NODE_ENV=production the API's URL must be given.
 */
import { z } from "zod";

const positiveSeconds = (fallback: number) => z.coerce.number().int().min(60).max(30 * 24 * 3600).default(fallback);
const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url().optional());

export const consoleEnvSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Contract §7; PORT is accepted when the console runs alone. */
  CONSOLE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SESAME_API_URL: optionalUrl,
  /** The console's public origin (e.g. https://console.example.com) when it sits behind a proxy that rewrites Host. */
  CONSOLE_ORIGIN: optionalUrl,
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

export class ConsoleConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid console configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConsoleConfigError";
  }
}

export function parseConsoleEnv(raw: Record<string, string | undefined>): ConsoleConfig {
  const parsed = consoleEnvSchema.safeParse(raw);
  if (!parsed.success) throw new ConsoleConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  const env = parsed.data;
  const production = env.NODE_ENV === "production";
  const problems: string[] = [];
  if (production && !env.SESAME_API_URL) problems.push("SESAME_API_URL: required when NODE_ENV=production");
  if (env.CONSOLE_SESSION_IDLE_SECONDS > env.CONSOLE_SESSION_MAX_SECONDS) {
    problems.push("CONSOLE_SESSION_IDLE_SECONDS: must not exceed CONSOLE_SESSION_MAX_SECONDS");
  }
  if (problems.length > 0) throw new ConsoleConfigError(problems);
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
