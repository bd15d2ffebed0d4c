/**
 * A transaction in progress, for the `…InTx` functions that run inside a caller's transaction
 * (batch.run composes several in one). A SessionChange is one too, with the cache outbox on top.
 */
import type { Tx } from "../db/client.ts";
import type { AppDeps } from "../deps.ts";

export interface TxContext {
  readonly tx: Tx;
  readonly deps: AppDeps;
  /** One clock reading for every write of the transaction. */
  readonly now: Date;
}

/** Runs `work` in a new transaction. Changes that sign sessions out use `commitSessionChange` instead. */
export function runInTx<T>(deps: AppDeps, work: (t: TxContext) => Promise<T>): Promise<T> {
  return deps.db.transaction((tx) => work({ tx, deps, now: deps.now() }));
}
