/**
 * `batch.run`: JourneyApps-style bulk operations with a result per operation.
 *
 * Not atomic (the default): each operation commits on its own, in order, and one failing does not
 * stop the rest. Atomic: all run in one transaction; the first failure rolls everything back and
 * stops the batch — that operation reports its own error, every other one `ABORTED`, so no result
 * claims an effect that did not happen.
 */
import type { RevocationReceipt, Session, User } from "@sesame/core";
import { TRPCError } from "@trpc/server";
import type { AppDeps } from "../../deps.ts";
import type { Tx } from "../../db/client.ts";
import { mapKnownFailure } from "../../lib/known-failures.ts";
import { createEnrollmentTokenIn } from "../enrollment/enrollment-codes.ts";
import type { Actor } from "../scope.ts";
import { commitSessionChange, type SessionChange } from "../revocation/session-change.ts";
import { signOutSessionInChange } from "../sessions/admin-sessions.ts";
import { lockUserInChange, unlockUserInTx, type ChangedInTx } from "../users/lifecycle.ts";

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
  | { token: string; url: string | null; expiresAt: string; enrollmentId: string };

/** `ABORTED`: not applied, because another operation of an atomic batch failed. */
export type BatchResult = { ok: true; result: BatchResultValue } | { ok: false; error: { code: string; message: string } };

/** An operation's outcome inside its transaction: the receipt is completed after commit. */
type Pending = ChangedInTx<unknown> & { build: (receipt: RevocationReceipt) => BatchResultValue };

async function runOperation(deps: AppDeps, tx: Tx, change: SessionChange, tenantId: string, op: BatchOperation, actor: Actor): Promise<Pending> {
  switch (op.method) {
    case "users/lock": {
      const { value, sessionIds } = await lockUserInChange(tx, change, tenantId, op.params, actor);
      return { value, sessionIds, build: (revocation) => ({ user: value, revocation }) };
    }
    case "users/unlock": {
      const user = await unlockUserInTx(tx, tenantId, op.params.userId, actor, change.now);
      return { value: user, sessionIds: [], build: () => user };
    }
    case "users/sessions/wipe":
    case "users/sessions/re-authenticate": {
      const action = op.method === "users/sessions/wipe" ? ({ type: "wipe", cause: "wipe" } as const) : ({ type: "lock", cause: "reauthenticate" } as const);
      const { value, sessionIds } = await signOutSessionInChange(tx, change, tenantId, op.params, action, actor);
      return { value, sessionIds, build: (revocation) => ({ session: value, revocation }) };
    }
    case "users/authentication-token": {
      const token = await createEnrollmentTokenIn(tx, deps, tenantId, op.params.userId, actor, change.now);
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

export async function runBatch(deps: AppDeps, tenantId: string, input: { operations: BatchOperation[]; atomic?: boolean }, actor: Actor): Promise<{ results: BatchResult[] }> {
  const { operations } = input;
  if (!input.atomic) {
    const results: BatchResult[] = [];
    for (const op of operations) {
      try {
        const { value, receipt } = await commitSessionChange(deps, (tx, change) => runOperation(deps, tx, change, tenantId, op, actor));
        results.push({ ok: true, result: value.build(ownReceipt(receipt, value.sessionIds)) });
      } catch (error) {
        results.push(toFailure(deps, error));
      }
    }
    return { results };
  }

  try {
    const { value: pending, receipt } = await commitSessionChange(deps, async (tx, change) => {
      const done: Pending[] = [];
      for (const [index, op] of operations.entries()) {
        try {
          done.push(await runOperation(deps, tx, change, tenantId, op, actor));
        } catch (error) {
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
