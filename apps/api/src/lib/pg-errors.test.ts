import { describe, expect, it } from "vitest";
import { mapKnownFailure } from "./known-failures.ts";
import { isDataException, isDatabaseUnavailable, isTransactionConflict } from "./pg-errors.ts";

/** Shaped as postgres.js raises them, wrapped as drizzle and tRPC wrap them. */
const wrapped = (inner: object) => ({ code: "INTERNAL_SERVER_ERROR", cause: { message: "Failed query", cause: inner } });

describe("isDatabaseUnavailable", () => {
  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "CONNECT_TIMEOUT", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECTION_CLOSED"])(
    "is true for a connection failure %s, however deeply wrapped",
    (code) => {
      expect(isDatabaseUnavailable({ code })).toBe(true);
      expect(isDatabaseUnavailable(wrapped({ code }))).toBe(true);
    },
  );

  it.each([
    ["53300", "too many clients"],
    ["57P01", "admin shutdown (connection terminated)"],
    ["57P03", "cannot connect now (starting up)"],
    ["08006", "connection failure"],
  ])("is true for SQLSTATE %s (%s)", (code) => {
    expect(isDatabaseUnavailable(wrapped({ code }))).toBe(true);
  });

  it.each(["23505", "22P02", "40001", "P0001", "INTERNAL_SERVER_ERROR"])("is false for %s", (code) => {
    expect(isDatabaseUnavailable(wrapped({ code }))).toBe(false);
  });
});

describe("isDataException", () => {
  it("is true for SQLSTATE class 22 only", () => {
    expect(isDataException(wrapped({ code: "22021" }))).toBe(true);
    expect(isDataException(wrapped({ code: "22001" }))).toBe(true);
    expect(isDataException(wrapped({ code: "23505" }))).toBe(false);
    expect(isDataException(new Error("no code"))).toBe(false);
  });
});

describe("isTransactionConflict", () => {
  it("is true for a deadlock (40P01) or a serialization failure (40001), however deeply wrapped, and for nothing else", () => {
    expect(isTransactionConflict(wrapped({ code: "40P01" }))).toBe(true);
    expect(isTransactionConflict({ code: "40001" })).toBe(true);
    for (const code of ["23505", "40002", "57P01", "ECONNRESET"]) expect(isTransactionConflict(wrapped({ code }))).toBe(false);
  });

  it("once the retries are spent, the call answers CONFLICT saying nothing was applied, never 500", () => {
    const failure = mapKnownFailure(wrapped({ code: "40P01" }));
    expect(failure?.code).toBe("CONFLICT");
    expect(failure?.message).toMatch(/nothing was applied: try again/);
  });
});
