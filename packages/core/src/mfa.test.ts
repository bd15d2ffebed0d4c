import { describe, expect, it } from "vitest";
import { isMfaChallenge, mfaRequiredFor, signInFactorStep } from "./mfa.ts";

describe("mfaRequiredFor", () => {
  it("is false unless the policy is required", () => {
    expect(mfaRequiredFor({ mfaPolicy: "optional", mfaRequiredGroups: [] }, ["admin"])).toBe(false);
    expect(mfaRequiredFor({ mfaPolicy: "off", mfaRequiredGroups: [] }, [])).toBe(false);
    expect(mfaRequiredFor({}, [])).toBe(false);
  });
  it("with no groups named, requires every user", () => {
    expect(mfaRequiredFor({ mfaPolicy: "required", mfaRequiredGroups: [] }, [])).toBe(true);
  });
  it("with groups named, requires only their members", () => {
    const settings = { mfaPolicy: "required" as const, mfaRequiredGroups: ["admin", "finance"] };
    expect(mfaRequiredFor(settings, ["staff", "finance"])).toBe(true);
    expect(mfaRequiredFor(settings, ["staff"])).toBe(false);
  });
});

describe("signInFactorStep", () => {
  it("never asks when the policy is off, even of an enrolled user", () => {
    expect(signInFactorStep({ policy: "off", required: false, enrolled: true })).toBe("none");
  });
  it("asks an enrolled user for the factor", () => {
    expect(signInFactorStep({ policy: "optional", required: false, enrolled: true })).toBe("verify");
    expect(signInFactorStep({ policy: "required", required: true, enrolled: true })).toBe("verify");
  });
  it("sends a required user without a factor to enrol, and lets an optional one through", () => {
    expect(signInFactorStep({ policy: "required", required: true, enrolled: false })).toBe("enroll");
    expect(signInFactorStep({ policy: "optional", required: false, enrolled: false })).toBe("none");
  });
});

describe("isMfaChallenge", () => {
  it("tells a challenge from tokens", () => {
    expect(isMfaChallenge({ mfaRequired: true, challengeToken: "x", factors: ["totp"], enrollmentRequired: false, expiresAt: "2026-01-01T00:00:00.000Z" })).toBe(true);
    expect(isMfaChallenge({ accessToken: "a" })).toBe(false);
  });
});
