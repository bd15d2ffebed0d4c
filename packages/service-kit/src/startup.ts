/**
 * How a Sesame process fails to start: one line saying what is wrong and how to fix it, no stack,
 * exit code 1. Expected failures (configuration, a taken port, an unreachable dependency) are
 * recognised here; anything else is a bug and keeps its stack.
 */
import { ConfigError } from "./env.ts";

/** A start failure whose message already says what and how to fix (printed as is, without a stack). */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

export interface StartupContext {
  /** How the process names itself at the start of the line, e.g. "Sesame API". */
  service: string;
  /** The variable that sets its port, named in the hint for a taken port (e.g. "API_PORT"). */
  portVariable: string;
}

/** The one line for an expected start failure, or null for a bug (which keeps its stack). */
export function describeStartupFailure(error: unknown, context: StartupContext): string | null {
  if (error instanceof ConfigError || error instanceof StartupError) return `${context.service}: ${error.message}`;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
    const { address, port } = error as { address?: string; port?: number };
    const where = `${address ?? "?"}:${port ?? "?"}`;
    const why =
      code === "EADDRINUSE"
        ? `port ${where} is already in use (another "npm run dev" or npm start?): stop that process or set ${context.portVariable}`
        : code === "EACCES"
          ? `not allowed to listen on ${where}: choose a port above 1023 with ${context.portVariable}`
          : `cannot listen on ${where}: no such local address, fix HOST`;
    return `${context.service}: ${why}`;
  }
  return null;
}

/**
 * Runs a process's `main`; an expected start failure prints one line to stderr and exits 1.
 *
 * @example
 * runMain(main, { service: "Sesame API", portVariable: "API_PORT" });
 */
export function runMain(main: () => Promise<void>, context: StartupContext): void {
  main().catch((error: unknown) => {
    const line = describeStartupFailure(error, context);
    console.error(line ?? `${context.service} failed to start:`, ...(line ? [] : [error]));
    process.exit(1);
  });
}
