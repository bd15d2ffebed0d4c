import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { formatUrlHost, listen } from "./listen.ts";

describe("listen", () => {
  it("serves a fetch handler on a free port and says where", async () => {
    const listener = await listen(() => new Response("hello"));
    try {
      expect(listener.url).toBe(`http://127.0.0.1:${listener.port}`);
      expect(await (await fetch(listener.url)).text()).toBe("hello");
    } finally {
      await listener.close();
    }
  });

  it("close() does not wait for a request that never gets an answer", async () => {
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const listener = await listen(() => {
      arrived();
      return new Promise<Response>(() => {});
    });
    const hanging = new Promise<string>((resolve) => {
      request(listener.url, (res) => res.resume()).on("error", (error) => resolve(error.message)).end();
    });
    await reached;
    await listener.close();
    expect(await hanging).toMatch(/socket hang up|ECONNRESET/);
  });

  it("rejects when the port is taken", async () => {
    const first = await listen(() => new Response());
    try {
      await expect(listen(() => new Response(), { port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it("brackets IPv6 hosts in URLs", () => {
    expect(formatUrlHost("::1")).toBe("[::1]");
    expect(formatUrlHost("127.0.0.1")).toBe("127.0.0.1");
  });
});
