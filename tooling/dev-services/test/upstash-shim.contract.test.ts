/**
 * Every @upstash/redis call the project makes, through the shim, against every backend this
 * machine has: in memory always, real Redis when REDIS_URL is set.
 */
import { randomBytes } from "node:crypto";
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IoRedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashShim, type UpstashShimHandle } from "../src/index.ts";

const backends = [
  { name: "memory", redisUrl: undefined as string | undefined },
  ...(process.env.REDIS_URL ? [{ name: "redis", redisUrl: process.env.REDIS_URL }] : []),
];

describe.each(backends)("upstash shim over $name", ({ redisUrl }) => {
  const prefix = `dev-services-test:${randomBytes(6).toString("hex")}:`;
  let n = 0;
  const key = (label: string) => `${prefix}${label}:${++n}`;
  let shim: UpstashShimHandle;
  let redis: UpstashRedis;

  beforeAll(async () => {
    shim = await startUpstashShim({ token: randomBytes(16).toString("hex"), redisUrl });
    redis = new UpstashRedis({ url: shim.url, token: shim.token, retry: false, enableTelemetry: false });
  });

  afterAll(async () => {
    if (redisUrl) {
      const direct = new IoRedis(redisUrl);
      const keys = await direct.keys(`${prefix}*`);
      if (keys.length > 0) await direct.del(...keys);
      await direct.quit();
    }
    await shim?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${shim.token}` }) =>
    fetch(`${shim.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("answers ping", async () => {
    expect(await redis.ping()).toBe("PONG");
  });

  it("sets and gets with EX and PX", async () => {
    const [a, b] = [key("ex"), key("px")];
    expect(await redis.set(a, "one", { ex: 100 })).toBe("OK");
    expect(await redis.set(b, "two", { px: 1_500 })).toBe("OK");
    expect(await redis.get(a)).toBe("one");
    expect(await redis.get(b)).toBe("two");
    expect(await redis.ttl(a)).toBeGreaterThan(90);
    const pttl = await redis.pttl(b);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1_500);
  });

  it("SET NX answers null when the key is present, and keeps the old value", async () => {
    const k = key("nx");
    expect(await redis.set(k, "first", { nx: true, px: 60_000 })).toBe("OK");
    expect(await redis.set(k, "second", { nx: true, px: 60_000 })).toBeNull();
    expect(await redis.get(k)).toBe("first");
  });

  it("deletes, counting the keys removed", async () => {
    const [a, b] = [key("del"), key("del")];
    await redis.set(a, "1");
    await redis.set(b, "2");
    expect(await redis.del(a, b, key("missing"))).toBe(2);
    expect(await redis.get(a)).toBeNull();
  });

  it("mget answers null for missing keys", async () => {
    const [a, b] = [key("mget"), key("mget")];
    await redis.set(a, "x");
    await redis.set(b, "y");
    expect(await redis.mget(a, key("missing"), b)).toEqual(["x", null, "y"]);
  });

  it("incr counts from zero", async () => {
    const k = key("incr");
    expect(await redis.incr(k)).toBe(1);
    expect(await redis.incr(k)).toBe(2);
  });

  it("expire and pttl", async () => {
    const k = key("expire");
    await redis.set(k, "v");
    expect(await redis.pttl(k)).toBe(-1);
    expect(await redis.expire(k, 10)).toBe(1);
    const pttl = await redis.pttl(k);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(10_000);
    expect(await redis.pttl(key("missing"))).toBe(-2);
  });

  it("sadd and smembers", async () => {
    const k = key("set");
    expect(await redis.sadd(k, "a", "b", "a")).toBe(2);
    expect((await redis.smembers(k)).sort()).toEqual(["a", "b"]);
  });

  it("hset and hgetall in the client's shape", async () => {
    const k = key("hash");
    expect(await redis.hset(k, { name: "x", count: 1 })).toBe(2);
    expect(await redis.hgetall(k)).toEqual({ name: "x", count: 1 });
    expect(await redis.hgetall(key("missing"))).toBeNull();
  });

  it("pipeline", async () => {
    const k = key("pipeline");
    expect(await redis.pipeline().set(k, "1").incr(k).get(k).exec()).toEqual(["OK", 2, 2]);
  });

  it("pipeline reports each command's error in place", async () => {
    const k = key("pipeline-error");
    const response = await post("/pipeline", [["set", k, "1"], ["nosuchcommand"], ["get", k]]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result?: unknown; error?: string }[];
    expect(body[0]).toEqual({ result: "OK" });
    expect(body[1]?.error).toMatch(/^ERR /);
    expect(body[2]).toEqual({ result: "1" });
  });

  it("multi/exec", async () => {
    const k = key("multi");
    expect(await redis.multi().set(k, "1").incr(k).get(k).exec()).toEqual(["OK", 2, 2]);
  });

  it("multi/exec with an unknown command is discarded whole", async () => {
    const k = key("multi-abort");
    const response = await post("/multi-exec", [["set", k, "1"], ["nosuchcommand"]]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^EXECABORT|^ERR/);
    expect(await redis.get(k)).toBeNull();
  });

  it("eval with keys and args, and writes with PX from Lua", async () => {
    const k = key("eval");
    expect(await redis.eval("return {KEYS[1], ARGV[1], 3}", [k], ["x"])).toEqual([k, "x", 3]);
    expect(await redis.eval("redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1", [k], ["v", "60000"])).toBe(1);
    expect(await redis.get(k)).toBe("v");
    expect(await redis.pttl(k)).toBeGreaterThan(0);
  });

  it("evalsha after scriptLoad, and NOSCRIPT for an unknown sha", async () => {
    const k = key("evalsha");
    const sha = await redis.scriptLoad("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis.scriptExists(sha)).toEqual([1]);
    expect(await redis.evalsha(sha, [k], ["5"])).toBe(5);
    await expect(redis.evalsha("0".repeat(40), [k], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("round-trips JSON object values", async () => {
    const k = key("json");
    const value = { version: 3, kind: "active", groups: ["a", "b"], nested: { n: null, ok: true } };
    await redis.set(k, value);
    expect(await redis.get(k)).toEqual(value);
  });

  it("returns values that look like base64, and non-ASCII text, unchanged", async () => {
    const [a, b] = [key("b64"), key("utf8")];
    await redis.set(a, "aGVsbG8=");
    await redis.set(b, "héllo ✓ 🔑");
    expect(await redis.get(a)).toBe("aGVsbG8=");
    expect(await redis.get(b)).toBe("héllo ✓ 🔑");
  });

  it("answers plain strings without Upstash-Encoding", async () => {
    const k = key("raw");
    await redis.set(k, "aGVsbG8=");
    const response = await post("/", ["get", k]);
    expect(await response.json()).toEqual({ result: "aGVsbG8=" });
  });

  it("answers 400 with a Redis error for a failing command", async () => {
    const response = await post("/", ["nosuchcommand", "x"]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^ERR /);
    expect((await post("/", { not: "a command" })).status).toBe(400);
  });

  it.each(["/", "/pipeline", "/multi-exec"])("answers 401 on %s without the right token", async (path) => {
    const body = path === "/" ? ["get", key("auth")] : [["get", key("auth")]];
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer wrong" }, { authorization: shim.token }];
    for (const headers of attempts) {
      const response = await post(path, body, headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: expect.any(String) });
    }
  });

  it("rejects a client with the wrong token", async () => {
    const wrong = new UpstashRedis({ url: shim.url, token: "wrong", retry: false, enableTelemetry: false });
    await expect(wrong.get(key("auth"))).rejects.toThrow(/Unauthorized/);
  });
});

describe("in-memory shims", () => {
  it("are independent of each other", async () => {
    const [a, b] = await Promise.all([startUpstashShim({ token: "a" }), startUpstashShim({ token: "b" })]);
    try {
      const ra = new UpstashRedis({ url: a.url, token: a.token, retry: false, enableTelemetry: false });
      const rb = new UpstashRedis({ url: b.url, token: b.token, retry: false, enableTelemetry: false });
      await ra.set("shared-name", "a");
      expect(await rb.get("shared-name")).toBeNull();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
