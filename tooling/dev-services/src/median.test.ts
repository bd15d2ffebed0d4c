import { describe, expect, it } from "vitest";
import { medianBy } from "./median.ts";

describe("medianBy", () => {
  it("picks the item with the middle key, the lower middle for an even count, leaving the input as it was", () => {
    const rounds = [{ ratio: 0.9 }, { ratio: 0.4 }, { ratio: 0.6 }];
    expect(medianBy(rounds, (r) => r.ratio)).toBe(rounds[2]);
    expect(rounds.map((r) => r.ratio)).toEqual([0.9, 0.4, 0.6]);
    expect(medianBy([3, 1, 4, 2], (n) => n)).toBe(2);
    expect(medianBy([7], (n) => n)).toBe(7);
  });

  it("refuses an empty list", () => {
    expect(() => medianBy([], (n: number) => n)).toThrow(TypeError);
  });
});
