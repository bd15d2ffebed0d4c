/**
 * Judges a revocation run. Pure: request and receipt records in, counts out.
 *
 * - acceptedAfterEffective: a request that started after a receipt's `effectiveAt` and was let through.
 *   The invariant says this must be 0.
 * - acceptedAfterLease: with `effectiveAt` null, a request that started later than `committedAt + lease`
 *   and was let through. Must be 0.
 * - wrongful401: a 401 for a session whose revocation had not even been asked for when the request
 *   ended (or never was). Must be 0. 503s are counted apart: failing closed is allowed.
 */
export interface RequestRecord {
  sessionId: string;
  /** Epoch ms when the request was sent and when its answer arrived. */
  start: number;
  end: number;
  status: number;
}

export interface ReceiptRecord {
  sessionIds: string[];
  /** Epoch ms when the revoking call was made. */
  calledAt: number;
  committedAt: number;
  effectiveAt: number | null;
  action: string;
}

export interface RevocationReport {
  requests: number;
  accepted: number;
  rejected401: number;
  forbidden403: number;
  unavailable503: number;
  otherStatus: number;
  receipts: number;
  receiptsPending: number;
  acceptedAfterEffective: number;
  acceptedAfterLease: number;
  wrongful401: number;
}

export function analyseRun(requests: RequestRecord[], receipts: ReceiptRecord[], attempts: Map<string, number>, leaseMs: number): RevocationReport {
  const effective = new Map<string, number>();
  const lease = new Map<string, number>();
  for (const r of receipts) {
    for (const sid of r.sessionIds) {
      if (r.effectiveAt !== null) effective.set(sid, Math.min(effective.get(sid) ?? Infinity, r.effectiveAt));
      else lease.set(sid, Math.min(lease.get(sid) ?? Infinity, r.committedAt + leaseMs));
    }
  }
  const report: RevocationReport = {
    requests: requests.length,
    accepted: 0,
    rejected401: 0,
    forbidden403: 0,
    unavailable503: 0,
    otherStatus: 0,
    receipts: receipts.length,
    receiptsPending: receipts.filter((r) => r.effectiveAt === null).length,
    acceptedAfterEffective: 0,
    acceptedAfterLease: 0,
    wrongful401: 0,
  };
  for (const q of requests) {
    if (q.status === 200) {
      report.accepted++;
      if (q.start > (effective.get(q.sessionId) ?? Infinity)) report.acceptedAfterEffective++;
      else if (q.start > (lease.get(q.sessionId) ?? Infinity)) report.acceptedAfterLease++;
    } else if (q.status === 401) {
      report.rejected401++;
      const askedAt = attempts.get(q.sessionId);
      if (askedAt === undefined || q.end < askedAt) report.wrongful401++;
    } else if (q.status === 403) report.forbidden403++;
    else if (q.status === 503) report.unavailable503++;
    else report.otherStatus++;
  }
  return report;
}
