import { describe, expect, it } from "vitest";
import { clientIp } from "./client-ip.ts";

const headers = (xff: string) => new Headers({ "x-forwarded-for": xff });

describe("clientIp", () => {
  it("takes the entry the trusted proxy appended (right-most), not what the client wrote", () => {
    expect(clientIp(headers("6.6.6.6, 203.0.113.7"), "10.0.0.1", true)).toBe("203.0.113.7");
  });
  it("ignores forwarded headers without a trusted proxy", () => {
    expect(clientIp(headers("203.0.113.7"), "10.0.0.1", false)).toBe("10.0.0.1");
  });
  it("falls back to the peer when the header is not an IP", () => {
    expect(clientIp(headers("not-an-ip"), "10.0.0.1", true)).toBe("10.0.0.1");
  });
});
