/**
 * What a revoking call returned: when it was committed and when the edge enforces it. `effectiveAt`
 * is null while the cache update is still being retried; the edge's lease bounds that wait.
 */
import type { Receipt } from "../api.ts";
import { Time } from "./format.tsx";

export function ReceiptNote({ title, receipt, onDismiss }: { title: string; receipt: Receipt; onDismiss: () => void }) {
  const count = receipt.sessionIds.length;
  return (
    <section className="receipt" aria-labelledby="receipt-title" role="status">
      <div className="receipt-head">
        <h2 id="receipt-title">{title}</h2>
        <button type="button" className="icon-button" aria-label="Dismiss receipt" onClick={onDismiss}>
          ×
        </button>
      </div>
      <dl className="pairs">
        <dt>Sessions signed out</dt>
        <dd>{count === 0 ? "none (no active session)" : count}</dd>
        <dt>Committed at</dt>
        <dd>
          <Time value={receipt.committedAt} />
        </dd>
        <dt>Effective at</dt>
        <dd data-testid="receipt-effective">
          {receipt.effectiveAt ? (
            <>
              <Time value={receipt.effectiveAt} /> <span className="muted">— the edge refuses these sessions from then on</span>
            </>
          ) : (
            <span className="pending">pending — the cache update is being retried; the edge refuses these sessions once its lease runs out at the latest</span>
          )}
        </dd>
      </dl>
    </section>
  );
}
