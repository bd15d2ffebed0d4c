// The revocation run of `npm run test:revocation`, in a smaller size, as part of `npm test`.
import { inject, describe, expect, it } from "vitest";
import { SCENARIOS, runScenario } from "./scenario.ts";

describe("revocation at the edge", () => {
  for (const name of SCENARIOS) {
    it(`${name}: accepts nothing after effectiveAt or after the lease, and never 401s a live session`, { timeout: 120_000 }, async () => {
      const result = await runScenario({
        name,
        backends: inject("sesameBackends"),
        sessions: 30,
        durationMs: 6_000,
        concurrency: 6,
        revokeFraction: 0.5,
        leaseSeconds: 3,
        faultMs: 1_500,
      });
      console.log(`[revocation ${name}]`, JSON.stringify(result));
      // The run must have exercised the edge (a few hundred requests on a quiet machine); the floor is
      // low enough that a busy CI machine still clears it, since speed is not what this test asserts.
      expect(result.requests).toBeGreaterThan(30);
      expect(result.receipts).toBeGreaterThanOrEqual(3);
      expect(result.acceptedAfterEffective).toBe(0);
      expect(result.acceptedAfterLease).toBe(0);
      expect(result.wrongful401).toBe(0);
      expect(result.otherStatus).toBe(0);
    });
  }
});
