import { describe, expect, it } from "vitest";
import { MIN_SESSION_IDLE_TIMEOUT_SECONDS, tenantSettingsSchema } from "./shapes.ts";

describe("tenant settings: sessionIdleTimeoutSeconds", () => {
  it("is off (null) unless set", () => {
    expect(tenantSettingsSchema.parse({}).sessionIdleTimeoutSeconds).toBeNull();
    expect(tenantSettingsSchema.parse({ sessionIdleTimeoutSeconds: null }).sessionIdleTimeoutSeconds).toBeNull();
  });
  it("accepts whole seconds from twice the longest access token up", () => {
    expect(MIN_SESSION_IDLE_TIMEOUT_SECONDS).toBe(1800);
    expect(tenantSettingsSchema.parse({ sessionIdleTimeoutSeconds: 1800 }).sessionIdleTimeoutSeconds).toBe(1800);
  });
  it("refuses shorter, fractional and non-numeric values, naming the field", () => {
    for (const value of [1799, 3600.5, "3600"]) {
      const result = tenantSettingsSchema.safeParse({ sessionIdleTimeoutSeconds: value });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(["sessionIdleTimeoutSeconds"]);
    }
  });
});
