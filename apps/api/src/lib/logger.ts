import pino, { type Logger } from "pino";

/** Secrets never reach the logs: these paths are replaced wherever they appear. */
export const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "password",
  "*.password",
  "currentPassword",
  "newPassword",
  "*.currentPassword",
  "*.newPassword",
  "token",
  "*.token",
  "key",
  "*.key",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "rootKey",
  "*.rootKey",
];

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "sesame-api" }, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } });
}
