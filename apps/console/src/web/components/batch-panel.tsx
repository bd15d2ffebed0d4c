/**
 * Lock or unlock the selected users in one `batch.run`, then a result for each of them: the API
 * runs every operation on its own, so some may fail while others succeed.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, type BatchResult } from "../api.ts";
import { LockDialog } from "./lock-dialog.tsx";
import { ConfirmDialog } from "./confirm.tsx";

/** The API's own cap on operations per batch. */
const MAX_BATCH = 1000;

interface Outcome {
  action: string;
  rows: { userId: string; username: string; result: BatchResult }[];
}

export function BatchPanel({ selected, onClear }: { selected: Map<string, string>; onClear: () => void }) {
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<"lock" | "unlock" | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const entries = [...selected.entries()];
  const subject = `${entries.length} user${entries.length === 1 ? "" : "s"}`;

  const run = async (action: string, operations: Parameters<typeof api.batch.run.mutate>[0]["operations"]) => {
    const { results } = await api.batch.run.mutate({ operations });
    return { action, rows: results.map((result, i) => ({ userId: entries[i]![0], username: entries[i]![1], result })) };
  };
  const finish = (o: Outcome) => {
    setOutcome(o);
    setDialog(null);
    onClear();
    void queryClient.invalidateQueries({ queryKey: ["users"] });
  };

  return (
    <>
      {entries.length > 0 ? (
        <div className="batch-bar" role="region" aria-label="Selected users">
          <span>{subject} selected</span>
          {entries.length > MAX_BATCH ? <span className="error">At most {MAX_BATCH} at once.</span> : null}
          <button type="button" className="danger" disabled={entries.length > MAX_BATCH} onClick={() => setDialog("lock")}>
            Lock…
          </button>
          <button type="button" disabled={entries.length > MAX_BATCH} onClick={() => setDialog("unlock")}>
            Unlock…
          </button>
          <button type="button" className="link-button" onClick={onClear}>
            Clear selection
          </button>
        </div>
      ) : null}
      {dialog === "lock" ? (
        <LockDialog
          subject={subject}
          lock={(wipe) => run(wipe ? "Lock and wipe" : "Lock", entries.map(([userId]) => ({ method: "users/lock" as const, params: { userId, wipe } })))}
          onDone={finish}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === "unlock" ? (
        <ConfirmDialog
          title={`Unlock ${subject}`}
          confirmLabel={`Unlock ${subject}`}
          action={() => run("Unlock", entries.map(([userId]) => ({ method: "users/unlock" as const, params: { userId } })))}
          onDone={finish}
          onClose={() => setDialog(null)}
        >
          <p>They can sign in again. Sessions signed out by the lock stay signed out.</p>
        </ConfirmDialog>
      ) : null}
      {outcome ? <BatchOutcome outcome={outcome} onDismiss={() => setOutcome(null)} /> : null}
    </>
  );
}

function BatchOutcome({ outcome, onDismiss }: { outcome: Outcome; onDismiss: () => void }) {
  const failed = outcome.rows.filter((r) => !r.result.ok).length;
  return (
    <section className="panel batch-results" aria-labelledby="batch-results-title" role="status">
      <div className="receipt-head">
        <h2 id="batch-results-title">
          {outcome.action}: {outcome.rows.length - failed} done{failed ? `, ${failed} failed` : ""}
        </h2>
        <button type="button" className="icon-button" aria-label="Dismiss results" onClick={onDismiss}>
          ×
        </button>
      </div>
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {outcome.rows.map((row) => (
            <tr key={row.userId} data-testid="batch-row">
              <td data-label="User">
                <Link href={`/users/${row.userId}`}>{row.username}</Link>
              </td>
              <td data-label="Result">{row.result.ok ? describeSuccess(row.result.result) : <span className="error">Failed: {row.result.error.message}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function describeSuccess(result: Extract<BatchResult, { ok: true }>["result"]): string {
  if ("revocation" in result) {
    const n = result.revocation.sessionIds.length;
    return `Done · ${n} session${n === 1 ? "" : "s"} signed out · ${result.revocation.effectiveAt ? "effective" : "effective: pending"}`;
  }
  return "Done";
}
