/** The limiter port's contract, run against every backend available here (`availableBackends`). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "@sesame/dev-services";
import { availableBackends, unreachable, type RunningCacheBackend } from "../test/backends.ts";
import { CacheUnavailableError } from "./errors.ts";

/** A clock the test moves by hand: windows follow it, not the wall clock, so nothing depends on speed. */
function manualClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let at = start;
  return { now: () => new Date(at), advance: (seconds: number) => (at += seconds * 1000) };
}

for (const backend of availableBackends(process.env)) {
  describe(`RateLimiter contract: ${backend.name}`, () => {
    let started: RunningCacheBackend;
    beforeAll(async () => {
      started = await backend.start();
    });
    afterAll(async () => {
      await started?.stop();
    });
    /** A limiter on the clock, under a key prefix of its own. */
    const limiterOn = (clock: ReturnType<typeof manualClock>) => started.open({ now: clock.now }).limiter;

    it("allows `max` attempts per window, then refuses with the time left in the window", async () => {
      const clock = manualClock();
      const limiter = limiterOn(clock);
      const rule = { max: 3, windowSeconds: 60 };
      clock.advance(20);
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.limit("k", rule));
      expect(decisions.map((d) => [d.ok, d.count])).toEqual([
        [true, 1],
        [true, 2],
        [true, 3],
        [false, 4],
      ]);
      expect(decisions[3]!.retryAfterSeconds).toBe(40);
    });

    it("counts keys, and rules, separately", async () => {
      const limiter = limiterOn(manualClock());
      const rule = { max: 1, windowSeconds: 60 };
      expect((await limiter.limit("a", rule)).ok).toBe(true);
      expect((await limiter.limit("a", rule)).ok).toBe(false);
      expect((await limiter.limit("b", rule)).ok).toBe(true);
      expect((await limiter.limit("a", { max: 2, windowSeconds: 60 })).ok).toBe(true);
    });

    it("starts a new window when the clock passes the old one's end", async () => {
      const clock = manualClock();
      const limiter = limiterOn(clock);
      const rule = { max: 1, windowSeconds: 60 };
      expect((await limiter.limit("w", rule)).ok).toBe(true);
      clock.advance(59);
      expect((await limiter.limit("w", rule)).ok).toBe(false);
      clock.advance(1);
      expect((await limiter.limit("w", rule)).ok).toBe(true);
    });

    it("takes a refunded attempt back in the window it was counted in", async () => {
      const limiter = limiterOn(manualClock());
      const rule = { max: 2, windowSeconds: 60 };
      const first = await limiter.limit("r", rule);
      await limiter.limit("r", rule);
      await limiter.refund("r", rule, first);
      expect(await limiter.limit("r", rule)).toMatchObject({ ok: true, count: 2 });
      expect(await limiter.limit("r", rule)).toMatchObject({ ok: false, count: 3 });
    });
  });
}

for (const impl of unreachable) {
  describe(`RateLimiter contract: ${impl.name} when the cache is unreachable`, () => {
    it("fails closed with CacheUnavailableError (an outage, not a throttle)", async () => {
      const cache = impl.open(impl.config(await closedPort()));
      try {
        await expect(cache.limiter.limit("k", { max: 100, windowSeconds: 60 })).rejects.toBeInstanceOf(CacheUnavailableError);
      } finally {
        await cache.close();
      }
    });
  });
}
