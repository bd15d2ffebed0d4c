import type { DestinationStream, Logger } from "pino";
import { createLogger as createServiceLogger } from "@sesame/service-kit/node";
import { serializeError } from "./error-serializer.ts";

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

/** `destination` defaults to stdout, pretty in a terminal (tests pass their own to read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return createServiceLogger(
    {
      service: "sesame-api",
      level,
      redact: REDACTED_PATHS,
      // Errors of failed queries carry the statement's values; see error-serializer.ts.
      serializers: { err: serializeError, error: serializeError },
    },
    destination,
  );
}
