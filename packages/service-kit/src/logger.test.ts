import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, requestLineWriter } from "./logger.ts";

/** A logger writing JSON lines into `lines`. */
function capture(level = "info", redact = ["token", "*.token"]) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service: "sesame-test", level, redact }, destination), lines };
}

describe("requestLineWriter", () => {
  it("writes the request line at info with message 'request' and the logger's base fields", () => {
    const { logger, lines } = capture();
    requestLineWriter(logger)({ method: "GET", path: "/trpc/tenants.get", status: 200, ms: 1.5, caller: "api_key" });
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, msg: "request", service: "sesame-test", method: "GET", path: "/trpc/tenants.get", status: 200, ms: 1.5, caller: "api_key" }),
    ]);
  });

  it("leaves the logger's other lines redacted", () => {
    const { logger, lines } = capture();
    requestLineWriter(logger)({ method: "POST", path: "/v1/sessions", status: 201, ms: 2, caller: "api_key" });
    logger.info({ token: "rt_secret", nested: { token: "rt_secret" } }, "other");
    expect(JSON.stringify(lines)).not.toContain("rt_secret");
    expect(lines[1]).toMatchObject({ token: "[redacted]", nested: { token: "[redacted]" } });
  });

  it("writes nothing when the logger's level is above info", () => {
    const { logger, lines } = capture("warn");
    requestLineWriter(logger)({ method: "GET", path: "/healthz", status: 200, ms: 0.1, caller: "anonymous" });
    expect(lines).toEqual([]);
  });
});
