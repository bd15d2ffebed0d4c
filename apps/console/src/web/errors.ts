/**
 * API errors in words, with the field they belong to. The API's BAD_REQUEST names the field at
 * fault (`data.field`, and `data.issues` for each one); the console server adds `data.reason` to
 * errors it answers itself (session ended, API unreachable).
 */
import { TRPCClientError } from "@sesame/client";
import type { ConsoleErrorData } from "../shared/protocol.ts";

export interface Problem {
  message: string;
  code: string | null;
  field: string | null;
  reason: ConsoleErrorData["reason"] | null;
  /** Each field's own message, by dotted path. */
  fields: Record<string, string>;
}

interface ErrorData {
  code?: string;
  field?: string | null;
  reason?: ConsoleErrorData["reason"];
  issues?: { path: string; message: string }[];
  retryAfterSeconds?: number;
}

export function describeError(error: unknown): Problem {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as ErrorData;
    if (!data.code) {
      // No tRPC answer at all: the console server itself is down or the network is gone.
      return {
        message: "The console server cannot be reached. Check that it is running, then try again; what you typed is kept.",
        code: null,
        field: null,
        reason: "api_unreachable",
        fields: {},
      };
    }
    const fields: Record<string, string> = {};
    for (const issue of data.issues ?? []) fields[issue.path] ??= issue.message;
    if (data.field && !fields[data.field]) fields[data.field] = error.message;
    const retry = data.retryAfterSeconds ? ` (try again in ${data.retryAfterSeconds} s)` : "";
    return { message: `${error.message}${retry}`, code: data.code, field: data.field ?? null, reason: data.reason ?? null, fields };
  }
  return { message: error instanceof Error ? error.message : String(error), code: null, field: null, reason: null, fields: {} };
}

/** The message for one field: its own issue, or one of its sub-fields' (e.g. `settings.x` for `settings`). */
export function fieldProblem(problem: Problem | null, field: string): string | undefined {
  if (!problem) return undefined;
  if (problem.fields[field]) return problem.fields[field];
  const nested = Object.keys(problem.fields).find((f) => f.startsWith(`${field}.`));
  return nested ? problem.fields[nested] : undefined;
}

/** Whether a form shows the problem beside one of its fields (else it shows it beside the submit button). */
export function isShownAtField(problem: Problem | null, fields: readonly string[]): boolean {
  return !!problem && fields.some((f) => fieldProblem(problem, f) !== undefined);
}
