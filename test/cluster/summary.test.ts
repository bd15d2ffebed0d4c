import { describe, expect, it } from "vitest";
import { percentile, summariseOutbox } from "./summary.ts";

describe("cluster run summary", () => {
  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it("counts the rows each process's worker delivered, and the ids two processes delivered", () => {
    const delivered = (ids: number[]) => ({ msg: "cache outbox delivered", delivered: ids.length, outboxIds: ids });
    const summary = summariseOutbox([
      { name: "api-0", records: [delivered([1, 2]), { msg: "request" }] },
      { name: "api-1", records: [delivered([3]), delivered([2])] },
      { name: "api-2", records: [] },
    ]);
    expect(summary).toEqual({ delivered: 3, perProcess: { "api-0": 2, "api-1": 2, "api-2": 0 }, duplicates: [2] });
  });
});
