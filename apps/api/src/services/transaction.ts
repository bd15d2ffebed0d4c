/**
 * A transaction in progress, for the `…InTx` functions that run inside a caller's transaction
 * (batch.run composes several in one). A SessionChange is one too, with the cache outbox on top.
 */
import pRetry from "p-retry";
import type { Tx } from "../db/client.ts";
import type { AppDeps } from "../deps.ts";
import { isTransactionConflict } from "../lib/pg-errors.ts";

export interface TxContext {
  readonly tx: Tx;
  readonly deps: AppDeps;
  /** One clock reading for every write of the transaction. */
  readonly now: Date;
}

/** How many times a transaction Postgres aborted to end a deadlock is run again before the call fails. */
export const TRANSACTION_RETRIES = 3;

/**
 * Every transaction of the API: `work` runs in a new one, and again (up to TRANSACTION_RETRIES
 * times, after a pause of 10 to 80 ms that grows) when Postgres aborts it to end a deadlock or a
 * serialization conflict with a concurrent transaction. The aborted attempt wrote nothing, and
 * `work` writes only through `tx`, so running it again is safe; callers whose order of locks is
 * theirs to choose (an atomic `batch.run`, two imports of overlapping rows) then both succeed
 * instead of one answering 500. What runs after the commit (cache entries, mail) runs once, with
 * the attempt that committed.
 */
export function transaction<T>(deps: AppDeps, work: (tx: Tx) => Promise<T>): Promise<T> {
  return pRetry(() => deps.db.transaction(work), {
    retries: TRANSACTION_RETRIES,
    minTimeout: 10,
    maxTimeout: 200,
    randomize: true,
    shouldRetry: ({ error }) => isTransactionConflict(error),
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && isTransactionConflict(error)) deps.logger.warn({ err: error, attempt: attemptNumber }, "Postgres aborted a transaction to end a conflict with another; running it again");
    },
  });
}

/** Runs `work` in a new transaction. Changes that sign sessions out use `commitSessionChange` instead. */
export function runInTx<T>(deps: AppDeps, work: (t: TxContext) => Promise<T>): Promise<T> {
  return transaction(deps, (tx) => work({ tx, deps, now: deps.now() }));
}
