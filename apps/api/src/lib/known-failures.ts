/**
 * Failures that are not bugs and so must never answer 500: a dependency outage (the cache's
 * `CacheUnavailableError`, which the rate limiter throws when it cannot count an attempt, or a
 * database that cannot be reached) is a 503 with `Retry-After`, and a value Postgres refused
 * (SQLSTATE class 22) is the caller's bad input, a 400, and a transaction still ending in a deadlock
 * after its retries is a 409 that says nothing was applied.
 * Called by the base procedure for every tRPC call and by batch.run for each operation.
 */
import { CacheUnavailableError } from "@sesame/cache";
import type { TRPCError } from "@trpc/server";
import { apiError, serviceUnavailable } from "./errors.ts";
import { isDataException, isDatabaseUnavailable, isTransactionConflict } from "./pg-errors.ts";

export function mapKnownFailure(error: unknown): TRPCError | null {
  const cache = findInCauses(error, (e): e is CacheUnavailableError => e instanceof CacheUnavailableError);
  if (cache) return serviceUnavailable("cache", cache);
  if (isDatabaseUnavailable(error)) return serviceUnavailable("database", error);
  // Postgres names the value but rarely the column: the message stays generic rather than echo input.
  if (isDataException(error)) return apiError("BAD_REQUEST", "A value in the input is not acceptable (rejected by the database)");
  // Only once services/transaction.ts has run it again TRANSACTION_RETRIES times: each attempt was rolled back.
  if (isTransactionConflict(error)) return apiError("CONFLICT", "Concurrent changes to the same records kept conflicting with this one; nothing was applied: try again");
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
