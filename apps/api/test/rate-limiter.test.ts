/** The limiter port's contract, run against each implementation the run's backends allow. */
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import type { CacheConfig } from "../src/config.ts";
import { DependencyUnavailableError } from "../src/lib/errors.ts";
import { createRateLimiter } from "../src/services/rate-limiter.ts";

const backends = inject("sesameBackends");
const prefix = () => `${backends.cachePrefix}rl-contract-${randomBytes(4).toString("hex")}:`;
const implementations: [string, () => CacheConfig][] = [
  ["Upstash REST", () => ({ kind: "upstash", url: backends.upstash.url, token: backends.upstash.token, prefix: prefix(), timeoutMs: 500 })],
  ...(backends.redisUrl ? [["TCP Redis", () => ({ kind: "redis", url: backends.redisUrl!, prefix: prefix(), timeoutMs: 500 })] as [string, () => CacheConfig]] : []),
];

/** A clock the test moves by hand: windows follow it, not the wall clock, so nothing depends on speed. */
function manualClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let at = start;
  return { now: () => new Date(at), advance: (seconds: number) => (at += seconds * 1000) };
}

describe.each(implementations)("rate limiter over %s", (_name, config) => {
  it("allows `max` attempts per window, then refuses with the time left in the window", async () => {
    const clock = manualClock();
    const limiter = createRateLimiter(config(), clock.now);
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
    const clock = manualClock();
    const limiter = createRateLimiter(config(), clock.now);
    const rule = { max: 1, windowSeconds: 60 };
    expect((await limiter.limit("a", rule)).ok).toBe(true);
    expect((await limiter.limit("a", rule)).ok).toBe(false);
    expect((await limiter.limit("b", rule)).ok).toBe(true);
    expect((await limiter.limit("a", { max: 2, windowSeconds: 60 })).ok).toBe(true);
  });

  it("starts a new window when the clock passes the old one's end", async () => {
    const clock = manualClock();
    const limiter = createRateLimiter(config(), clock.now);
    const rule = { max: 1, windowSeconds: 60 };
    expect((await limiter.limit("w", rule)).ok).toBe(true);
    clock.advance(59);
    expect((await limiter.limit("w", rule)).ok).toBe(false);
    clock.advance(1);
    expect((await limiter.limit("w", rule)).ok).toBe(true);
  });

  it("takes a refunded attempt back in the window it was counted in", async () => {
    const clock = manualClock();
    const limiter = createRateLimiter(config(), clock.now);
    const rule = { max: 2, windowSeconds: 60 };
    const first = await limiter.limit("r", rule);
    await limiter.limit("r", rule);
    await limiter.refund("r", rule, first);
    expect(await limiter.limit("r", rule)).toMatchObject({ ok: true, count: 2 });
    expect(await limiter.limit("r", rule)).toMatchObject({ ok: false, count: 3 });
  });

  it("fails closed when the cache cannot be reached, saying it is an outage rather than a throttle", async () => {
    const dead: CacheConfig =
      config().kind === "upstash"
        ? { kind: "upstash", url: "http://127.0.0.1:9", token: "x", prefix: prefix(), timeoutMs: 200 }
        : { kind: "redis", url: "redis://127.0.0.1:9", prefix: prefix(), timeoutMs: 200 };
    const limiter = createRateLimiter(dead);
    await expect(limiter.limit("k", { max: 100, windowSeconds: 60 })).rejects.toSatisfy(
      (e) => e instanceof DependencyUnavailableError && e.dependency === "cache",
    );
    await limiter.close?.();
  });
});
