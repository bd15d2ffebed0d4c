import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IoRedis } from "ioredis";
import postgres from "postgres";
import { describe, expect, expectTypeOf, inject, it } from "vitest";
import { provideBackends, startTestBackends, type SesameBackends, type TestBackends } from "../src/index.ts";

const useBackends = async (backends: TestBackends) => {
  const sql = postgres(backends.databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    expect(await sql`SELECT current_database() AS name`).toHaveLength(1);
  } finally {
    await sql.end();
  }
  const redis = new UpstashRedis({ ...backends.upstash, retry: false, enableTelemetry: false });
  const key = `${backends.cachePrefix}probe`;
  await redis.set(key, "ok", { px: 60_000 });
  expect(await redis.get(key)).toBe("ok");
};

describe("startTestBackends", () => {
  it("uses what the environment names", async () => {
    const backends = await startTestBackends();
    try {
      expect(backends.description).toEqual({
        postgres: process.env.DATABASE_URL ? "real" : "embedded",
        cache: process.env.UPSTASH_REDIS_REST_URL ? "upstash" : process.env.REDIS_URL ? "redis (via shim)" : "memory (via shim)",
      });
      expect(backends.cachePrefix).toMatch(/^sesame-test:[0-9a-f]+:$/);
      expect(backends.redisUrl).toBe(process.env.REDIS_URL ?? null);
      await useBackends(backends);
    } finally {
      await backends.stop();
    }
    if (process.env.REDIS_URL) {
      const direct = new IoRedis(process.env.REDIS_URL);
      try {
        expect(await direct.keys(`${backends.cachePrefix}*`)).toEqual([]); // stop() cleaned up
      } finally {
        direct.disconnect();
      }
    }
    if (process.env.DATABASE_URL) {
      const name = new URL(backends.databaseUrl).pathname.slice(1);
      expect(name).toMatch(/^sesame_test_[0-9a-f]+$/);
      const admin = postgres(process.env.DATABASE_URL, { max: 1 });
      try {
        expect(await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`).toHaveLength(0);
      } finally {
        await admin.end();
      }
    }
  });

  it("falls back to embedded Postgres and an in-memory cache", async () => {
    const backends = await startTestBackends({});
    try {
      expect(backends.description).toEqual({ postgres: "embedded", cache: "memory (via shim)" });
      expect(backends.redisUrl).toBeNull();
      await useBackends(backends);
    } finally {
      await backends.stop();
    }
  });
});

describe("provideBackends", () => {
  it("provides everything but stop(), in a form that survives structured cloning", () => {
    const provided: Record<string, unknown> = {};
    const backends: TestBackends = {
      databaseUrl: "postgres://x",
      upstash: { url: "http://x", token: "t" },
      redisUrl: null,
      cachePrefix: "sesame-test:1:",
      description: { postgres: "embedded", cache: "memory (via shim)" },
      stop: async () => undefined,
    };
    provideBackends({ provide: (key, value) => (provided[key] = value) }, backends);
    const { stop: _stop, ...expected } = backends;
    expect(structuredClone(provided.sesameBackends)).toEqual(expected satisfies SesameBackends);
  });
});

it("types inject(\"sesameBackends\") through the ProvidedContext augmentation", () => {
  expectTypeOf(inject<"sesameBackends">).returns.toEqualTypeOf<SesameBackends>();
});
