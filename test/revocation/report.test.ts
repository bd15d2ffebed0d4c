import { describe, expect, it } from "vitest";
import { analyseRun, type ReceiptRecord, type RequestRecord } from "./report.ts";

const receipt = (sid: string, committedAt: number, effectiveAt: number | null): ReceiptRecord => ({ sessionIds: [sid], calledAt: committedAt - 5, committedAt, effectiveAt, action: "lock" });
const req = (sessionId: string, start: number, status: number): RequestRecord => ({ sessionId, start, end: start + 2, status });

describe("analyseRun", () => {
  it("counts a 200 that started after effectiveAt as a violation, and one before as fine", () => {
    const r = analyseRun([req("a", 99, 200), req("a", 101, 200)], [receipt("a", 95, 100)], new Map([["a", 90]]), 30_000);
    expect(r.acceptedAfterEffective).toBe(1);
    expect(r.accepted).toBe(2);
  });

  it("with effectiveAt null, allows 200s until the lease has run out and counts later ones", () => {
    const r = analyseRun([req("a", 1_000, 200), req("a", 31_001, 200)], [receipt("a", 1_000, null)], new Map([["a", 990]]), 30_000);
    expect(r.acceptedAfterLease).toBe(1);
    expect(r.acceptedAfterEffective).toBe(0);
    expect(r.receiptsPending).toBe(1);
  });

  it("counts a 401 for a session nobody tried to revoke as wrongful", () => {
    const r = analyseRun([req("b", 10, 401)], [], new Map(), 30_000);
    expect(r.wrongful401).toBe(1);
  });

  it("does not count a 401 that ended after the revocation was asked for", () => {
    const r = analyseRun([req("a", 100, 401)], [receipt("a", 101, 102)], new Map([["a", 99]]), 30_000);
    expect(r.wrongful401).toBe(0);
  });

  it("counts 503s apart from 401s", () => {
    const r = analyseRun([req("c", 1, 503), req("c", 2, 503)], [], new Map(), 30_000);
    expect(r).toMatchObject({ unavailable503: 2, rejected401: 0, wrongful401: 0 });
  });
});
