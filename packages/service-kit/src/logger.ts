/**
 * The one way a Sesame Node process logs: pino, JSON lines when stdout is a pipe or a file (what
 * log collectors read), pino-pretty when it is a terminal (`npm start` by hand). Under `npm run dev`
 * turbo pipes each app's output, so the root script says whether *its* stdout is a terminal in
 * `SESAME_LOG_PRETTY` (1 or 0); it only chooses the look of the lines, never what is logged.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import pretty from "pino-pretty";
import type { RequestLogLine } from "./request-log.ts";

export interface CreateLoggerOptions {
  /** `service` on every JSON line, e.g. "sesame-api". */
  service: string;
  level: string;
  /** Paths replaced by "[redacted]" wherever they appear (pino `redact`). */
  redact?: string[];
  serializers?: LoggerOptions["serializers"];
}

/** Whether stdout is read by a person: a terminal, or `npm run dev`'s in one. */
function stdoutIsTerminal(): boolean {
  const said = process.env.SESAME_LOG_PRETTY;
  return said === "1" || (said !== "0" && process.stdout.isTTY === true);
}

const REQUEST_FIELDS = ["method", "path", "status", "ms", "caller"];

/** A request line as `GET /v1/users 200 3.1 ms api_key`; other lines keep their message (and path). */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const message = String(log[messageKey] ?? "");
  if (message === "request") return `${String(log.method)} ${String(log.path)} ${String(log.status)} ${String(log.ms)} ms ${String(log.caller)}`;
  return typeof log.path === "string" ? `${message} (${log.path})` : message;
}

/** `destination` (tests) wins; otherwise stdout, pretty for a person and JSON elsewhere. */
export function createLogger(options: CreateLoggerOptions, destination?: DestinationStream): Logger {
  const stream =
    destination ??
    (stdoutIsTerminal()
      ? pretty({ colorize: true, ignore: ["pid", "hostname", "service", ...REQUEST_FIELDS].join(","), messageFormat: prettyMessage, translateTime: "SYS:HH:MM:ss.l", sync: true })
      : undefined);
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      ...(options.redact ? { redact: { paths: options.redact, censor: "[redacted]" } } : {}),
      ...(options.serializers ? { serializers: options.serializers } : {}),
    },
    stream,
  );
}

/**
 * Where `requestLog`'s lines go: `logger` at info, message "request", without its redaction pass.
 * A request line holds only the five fields of `RequestLogLine`, none of them a secret (the path
 * carries no query string), and redacting it cost pino twice the writing of the line. Every other
 * line of `logger` is still redacted.
 */
export function requestLineWriter(logger: Logger): (line: RequestLogLine) => void {
  const lines = logger.child({}, { redact: { paths: [] } });
  return (line) => lines.info(line, "request");
}
