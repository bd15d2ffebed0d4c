import { describe, expect, it } from "vitest";
import { resolveClientFields } from "./client-fields.ts";

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const from = (userAgent: string | null) => ({ ip: "203.0.113.7", userAgent, countryCode: "NZ" });

describe("resolveClientFields", () => {
  it("describes the client from its user agent, the same every time the agent is seen", () => {
    const first = resolveClientFields(undefined, from(IPHONE), false);
    expect(first).toMatchObject({ clientName: "Mobile Safari", osName: "iOS", osVersion: "17.4", deviceBrand: "Apple", deviceModel: "iPhone", countryName: "New Zealand" });
    // Seen again (now remembered): equal fields, and a fresh object each time.
    const again = resolveClientFields(undefined, from(IPHONE), false);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it("keeps different agents apart, however they alternate", () => {
    for (let round = 0; round < 2; round++) {
      expect(resolveClientFields(undefined, from(FIREFOX_LINUX), false)).toMatchObject({ clientName: "Firefox", osName: "Linux", deviceName: "desktop", deviceBrand: null });
      expect(resolveClientFields(undefined, from(IPHONE), false)).toMatchObject({ clientName: "Mobile Safari", osName: "iOS" });
    }
  });

  it("parses a very long agent too (not remembered) and a missing one as no client", () => {
    const long = `${FIREFOX_LINUX} ${"x".repeat(2_000)}`;
    expect(resolveClientFields(undefined, from(long), false)).toMatchObject({ clientName: "Firefox", userAgent: long });
    expect(resolveClientFields(undefined, from(null), false)).toMatchObject({ userAgent: null, clientType: null, clientName: null, deviceName: null });
  });

  it("believes the agent a trusted backend reports over the request's own", () => {
    expect(resolveClientFields({ userAgent: FIREFOX_LINUX }, from(IPHONE), true)).toMatchObject({ clientName: "Firefox" });
    expect(resolveClientFields({ userAgent: FIREFOX_LINUX }, from(IPHONE), false)).toMatchObject({ clientName: "Mobile Safari" });
  });
});
