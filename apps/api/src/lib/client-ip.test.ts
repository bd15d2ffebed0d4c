import { describe, expect, it } from "vitest";
import { clientIp, parseForwardedAddress, rateLimitSource } from "./client-ip.ts";

const headers = (values: Record<string, string>) => new Headers(values);

describe("clientIp", () => {
  it("takes the entry the trusted proxy appended (right-most), not what the client wrote", () => {
    expect(clientIp(headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }), "10.0.0.1", true)).toBe("203.0.113.7");
  });
  it("ignores forwarded headers without a trusted proxy", () => {
    expect(clientIp(headers({ "x-forwarded-for": "203.0.113.7" }), "10.0.0.1", false)).toBe("10.0.0.1");
  });
  it("reads the address out of an entry with a port, IPv4 and IPv6", () => {
    expect(clientIp(headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7:51234" }), "10.0.0.1", true)).toBe("203.0.113.7");
    expect(clientIp(headers({ "x-forwarded-for": "[2001:db8::7]:443" }), "10.0.0.1", true)).toBe("2001:db8::7");
  });
  it("never falls back to X-Real-IP: a missing or unreadable entry leaves the peer address", () => {
    expect(clientIp(headers({ "x-real-ip": "6.6.6.6" }), "10.0.0.1", true)).toBe("10.0.0.1");
    expect(clientIp(headers({ "x-forwarded-for": "not-an-ip", "x-real-ip": "6.6.6.6" }), "10.0.0.1", true)).toBe("10.0.0.1");
    expect(clientIp(headers({ "x-forwarded-for": "6.6.6.6, ", "x-real-ip": "6.6.6.6" }), "10.0.0.1", true)).toBe("10.0.0.1");
  });
});

describe("parseForwardedAddress", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7:8080 ", "203.0.113.7"],
    ["2001:db8::1", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["[::1]:5000", "::1"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
  ])("reads %j as %s", (entry, address) => {
    expect(parseForwardedAddress(entry)).toBe(address);
  });
  it.each(["", "unknown", "203.0.113", "0x7f.1", "203.0.113.300", "[203.0.113.7]:80", "203.0.113.7:port", "[::1"])("refuses %j", (entry) => {
    expect(parseForwardedAddress(entry)).toBeNull();
  });
});

describe("rateLimitSource", () => {
  it("counts an IPv4 address as itself", () => {
    expect(rateLimitSource("203.0.113.7")).toBe("203.0.113.7");
  });
  it("counts every address of one IPv6 /64 as one source", () => {
    expect(rateLimitSource("2001:db8:1:2:aaaa::1")).toBe(rateLimitSource("2001:db8:1:2:ffff:ffff:ffff:ffff"));
    expect(rateLimitSource("2001:db8:1:2::1")).not.toBe(rateLimitSource("2001:db8:1:3::1"));
  });
  it("counts an IPv4-mapped IPv6 address as the IPv4 address", () => {
    expect(rateLimitSource("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });
});
