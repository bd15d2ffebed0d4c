/**
 * Failures that are not bugs and so must never answer 500: a dependency outage is a 503 with
 * `Retry-After`, and a value Postgres refused (SQLSTATE class 22) is the caller's bad input, a 400.
 * Called by the base procedure for every tRPC call and by batch.run for each operation.
 */
import type { TRPCError } from "@trpc/server";
import { DependencyUnavailableError, apiError, serviceUnavailable } from "./errors.ts";
import { isDataException, isDatabaseUnavailable } from "./pg-errors.ts";

export function mapKnownFailure(error: unknown): TRPCError | null {
  const dependency = findInCauses(error, (e): e is DependencyUnavailableError => e instanceof DependencyUnavailableError);
  if (dependency) return serviceUnavailable(dependency.dependency, dependency);
  if (isDatabaseUnavailable(error)) return serviceUnavailable("database", error);
  // Postgres names the value but rarely the column: the message stays generic rather than echo input.
  if (isDataException(error)) return apiError("BAD_REQUEST", "A value in the input is not acceptable (rejected by the database)");
  return null;
}

function findInCauses<T>(error: unknown, match: (e: unknown) => e is T): T | null {
  let e: unknown = error;
  for (let i = 0; i < 4 && e; i++) {
    if (match(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
