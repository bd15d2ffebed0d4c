import { describe, expect, it } from "vitest";
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE, parseRetrySchedule, retryDelayMs } from "./webhooks.ts";

describe("parseRetrySchedule", () => {
  it("reads the default schedule as about three days of waits", () => {
    const schedule = parseRetrySchedule(DEFAULT_WEBHOOK_RETRY_SCHEDULE);
    expect(schedule).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    const hours = (schedule as number[]).reduce((a, b) => a + b, 0) / 3_600_000;
    expect(hours).toBeGreaterThan(27);
  });

  it("reads milliseconds and days, with spaces around commas", () => {
    expect(parseRetrySchedule("100ms, 1s ,1d")).toEqual([100, 1000, 86_400_000]);
  });

  it("names the part it cannot read", () => {
    expect(parseRetrySchedule("5s,5 minutes")).toBe('"5 minutes" is not a delay such as 500ms, 5s, 5m, 2h or 1d');
    expect(parseRetrySchedule("0s")).toBe('"0s" must be longer than zero');
    expect(parseRetrySchedule("")).toMatch(/is not a delay/);
  });
});

describe("retryDelayMs", () => {
  const schedule = [1000, 60_000];
  it("is the schedule's wait within ±20 % jitter", () => {
    expect(retryDelayMs(schedule, 1, 0)).toBe(800);
    expect(retryDelayMs(schedule, 1, 0.5)).toBe(1000);
    expect(retryDelayMs(schedule, 2, 0.999999)).toBe(72_000);
  });

  it("is null once the schedule is spent", () => {
    expect(retryDelayMs(schedule, 3, 0.5)).toBeNull();
  });
});
