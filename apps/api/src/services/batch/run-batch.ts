/**
 * `batch.run`: JourneyApps-style bulk operations with a result per operation, atomic or not
 * (README.md, "Decisions" › `batch.run`). Atomic batches run every operation in one SessionChange.
 */
import type { BatchResult, EnrollmentCode, RevocationReceipt, Session, User } from "@sesame/core";
import { TRPCError } from "@trpc/server";
import type { AppDeps } from "../../deps.ts";
import { mapKnownFailure } from "../../lib/known-failures.ts";
import { isTransactionConflict } from "../../lib/pg-errors.ts";
import { createEnrollmentTokenInTx } from "../enrollment/enrollment-codes.ts";
import { commitSessionChange, type ChangedInTx, type SessionChange } from "../revocation/session-change.ts";
import type { AdminScope } from "../scope.ts";
import { reauthenticateSessionInTx, wipeSessionInTx } from "../sessions/sign-out.ts";
import { lockUserInTx, unlockUserInTx } from "../users/lifecycle.ts";

export const BATCH_MAX_OPERATIONS = 1000;

export type BatchOperation =
  | { method: "users/lock"; params: { userId: string; wipe: boolean } }
  | { method: "users/unlock"; params: { userId: string } }
  | { method: "users/sessions/wipe"; params: { userId: string; sessionId: string } }
  | { method: "users/sessions/re-authenticate"; params: { userId: string; sessionId: string } }
  | { method: "users/authentication-token"; params: { userId: string } };

export type BatchResultValue =
  | { user: User; revocation: RevocationReceipt }
  | User
  | { session: Session; revocation: RevocationReceipt }
  | EnrollmentCode;


/** An operation's outcome inside its transaction: the receipt is completed after commit. */
type Pending = ChangedInTx<unknown> & { build: (receipt: RevocationReceipt) => BatchResultValue };

/** Every operation runs inside the batch's change through the same `…InTx` function its procedure uses. */
async function runOperation(change: SessionChange, scope: AdminScope, op: BatchOperation): Promise<Pending> {
  switch (op.method) {
    case "users/lock": {
      const { value, sessionIds } = await lockUserInTx(change, scope, op.params);
      return { value, sessionIds, build: (revocation) => ({ user: value, revocation }) };
    }
    case "users/unlock": {
      const user = await unlockUserInTx(change, scope, op.params);
      return { value: user, sessionIds: [], build: () => user };
    }
    case "users/sessions/wipe":
    case "users/sessions/re-authenticate": {
      const signOut = op.method === "users/sessions/wipe" ? wipeSessionInTx : reauthenticateSessionInTx;
      const { value, sessionIds } = await signOut(change, scope, op.params);
      return { value, sessionIds, build: (revocation) => ({ session: value, revocation }) };
    }
    case "users/authentication-token": {
      const token = await createEnrollmentTokenInTx(change, scope, op.params);
      return { value: token, sessionIds: [], build: () => token };
    }
  }
}

function toFailure(deps: AppDeps, error: unknown): BatchResult {
  if (error instanceof TRPCError) return { ok: false, error: { code: error.code, message: error.message } };
  const known = mapKnownFailure(error);
  if (known) return { ok: false, error: { code: known.code, message: known.message } };
  deps.logger.error({ err: error }, "batch operation failed");
  return { ok: false, error: { code: "INTERNAL_SERVER_ERROR", message: "Internal error" } };
}

/** The operation's own part of the commit's receipt. */
const ownReceipt = (receipt: RevocationReceipt, sessionIds: string[]): RevocationReceipt => ({ ...receipt, sessionIds });

class BatchAborted extends Error {
  constructor(
    readonly index: number,
    readonly failure: BatchResult,
  ) {
    super("atomic batch aborted");
  }
}

export interface RunBatchInput {
  operations: BatchOperation[];
  atomic?: boolean;
  /** Not atomic: the operations after the first failure are not applied (JourneyApps' `stop_on_error`). */
  stopOnError?: boolean;
}

export async function runBatch(deps: AppDeps, scope: AdminScope, input: RunBatchInput): Promise<{ results: BatchResult[] }> {
  const { operations } = input;
  if (!input.atomic) {
    const results: BatchResult[] = [];
    for (const op of operations) {
      const failedAt = results.findIndex((r) => !r.ok);
      if (input.stopOnError && failedAt >= 0) {
        results.push({ ok: false, error: { code: "SKIPPED", message: `Not applied: operation ${failedAt} failed and stopOnError is set` } });
        continue;
      }
      try {
        const { value, receipt } = await commitSessionChange(deps, (change) => runOperation(change, scope, op));
        results.push({ ok: true, result: value.build(ownReceipt(receipt, value.sessionIds)) });
      } catch (error) {
        results.push(toFailure(deps, error));
      }
    }
    return { results };
  }

  try {
    const { value: pending, receipt } = await commitSessionChange(deps, async (change) => {
      const done: Pending[] = [];
      for (const [index, op] of operations.entries()) {
        try {
          done.push(await runOperation(change, scope, op));
        } catch (error) {
          // Postgres ended the transaction to break a deadlock: the whole batch runs again.
          if (isTransactionConflict(error)) throw error;
          throw new BatchAborted(index, toFailure(deps, error));
        }
      }
      return done;
    });
    return { results: pending.map((p) => ({ ok: true, result: p.build(ownReceipt(receipt, p.sessionIds)) })) };
  } catch (error) {
    if (!(error instanceof BatchAborted)) throw error;
    const aborted: BatchResult = {
      ok: false,
      error: { code: "ABORTED", message: `Not applied: operation ${error.index} failed and the batch is atomic` },
    };
    return { results: operations.map((_, i) => (i === error.index ? error.failure : aborted)) };
  }
}
