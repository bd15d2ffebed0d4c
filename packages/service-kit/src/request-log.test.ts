import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requestLog, type RequestLogLine } from "./request-log.ts";

function appLogging(lines: RequestLogLine[]) {
  const app = new Hono<{ Variables: { who: string } }>();
  app.use(requestLog((line) => void lines.push(line), (c) => c.get("who") ?? "anonymous"));
  app.get("/ok", (c) => {
    c.set("who", "user");
    return c.text("ok");
  });
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.onError((_error, c) => c.text("failed", 500));
  return app;
}

describe("requestLog", () => {
  it("writes method, path without the query string, status, ms and the caller the handler established", async () => {
    const lines: RequestLogLine[] = [];
    await appLogging(lines).request("/ok?token=abc", { headers: { authorization: "Bearer abc" } });
    expect(lines).toEqual([{ method: "GET", path: "/ok", status: 200, ms: expect.any(Number), caller: "user" }]);
    expect(JSON.stringify(lines)).not.toContain("abc");
  });

  it("logs the error response of a failed handler and of an unknown route", async () => {
    const lines: RequestLogLine[] = [];
    const app = appLogging(lines);
    await app.request("/boom", { method: "GET" });
    await app.request("/nowhere", { method: "POST" });
    expect(lines.map(({ method, path, status, caller }) => ({ method, path, status, caller }))).toEqual([
      { method: "GET", path: "/boom", status: 500, caller: "anonymous" },
      { method: "POST", path: "/nowhere", status: 404, caller: "anonymous" },
    ]);
  });
});
