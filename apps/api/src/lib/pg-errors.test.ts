import { describe, expect, it } from "vitest";
import { isDataException, isDatabaseUnavailable } from "./pg-errors.ts";

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
