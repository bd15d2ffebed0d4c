/** The limiter port's contract, run against each implementation the run's backends allow. */
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import type { CacheConfig } from "../src/config.ts";
import { createRateLimiter } from "../src/services/rate-limiter.ts";

const backends = inject("sesameBackends");
const prefix = () => `${backends.cachePrefix}rl-contract-${randomBytes(4).toString("hex")}:`;
const implementations: [string, () => CacheConfig][] = [
  ["Upstash REST", () => ({ kind: "upstash", url: backends.upstash.url, token: backends.upstash.token, prefix: prefix(), timeoutMs: 500 })],
  ...(backends.redisUrl ? [["TCP Redis", () => ({ kind: "redis", url: backends.redisUrl!, prefix: prefix(), timeoutMs: 500 })] as [string, () => CacheConfig]] : []),
];

describe.each(implementations)("rate limiter over %s", (_name, config) => {
  it("allows `max` attempts per window, then refuses with the time left", async () => {
    const limiter = createRateLimiter(config());
    const rule = { max: 3, windowSeconds: 60 };
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.limit("k", rule));
    expect(decisions.map((d) => d.ok)).toEqual([true, true, true, false]);
    expect(decisions[3]!.retryAfterSeconds).toBeGreaterThan(0);
    expect(decisions[3]!.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("counts keys, and rules, separately", async () => {
    const limiter = createRateLimiter(config());
    const rule = { max: 1, windowSeconds: 60 };
    expect((await limiter.limit("a", rule)).ok).toBe(true);
    expect((await limiter.limit("a", rule)).ok).toBe(false);
    expect((await limiter.limit("b", rule)).ok).toBe(true);
    expect((await limiter.limit("a", { max: 2, windowSeconds: 60 })).ok).toBe(true);
  });

  it("starts a new window when the old one has run out", async () => {
    const limiter = createRateLimiter(config());
    const rule = { max: 1, windowSeconds: 1 };
    expect((await limiter.limit("w", rule)).ok).toBe(true);
    expect((await limiter.limit("w", rule)).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await limiter.limit("w", rule)).ok).toBe(true);
  });

  it("fails closed when the cache cannot be reached", async () => {
    const dead: CacheConfig =
      config().kind === "upstash"
        ? { kind: "upstash", url: "http://127.0.0.1:9", token: "x", prefix: prefix(), timeoutMs: 200 }
        : { kind: "redis", url: "redis://127.0.0.1:9", prefix: prefix(), timeoutMs: 200 };
    const decision = await createRateLimiter(dead).limit("k", { max: 100, windowSeconds: 60 });
    expect(decision.ok).toBe(false);
    expect(decision.retryAfterSeconds).toBeGreaterThan(0);
  });
});
