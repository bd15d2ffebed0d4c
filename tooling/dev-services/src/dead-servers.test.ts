import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { closedPort, onFreePort } from "./dead-servers.ts";

/** Binds `port` as a server of another process would; resolves with the bind's error code, if any. */
function bind(port: number): Promise<{ code: string | null; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve({ code: error.code ?? "?", close: async () => {} }));
    server.listen(port, "127.0.0.1", () => resolve({ code: null, close: () => new Promise((done) => server.close(() => done())) }));
  });
}

const taken = (error: unknown) => String(error).includes("EADDRINUSE");

describe("closedPort", () => {
  it("is refused at once, is never handed out twice, and lies below the ports the kernel picks by itself", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => closedPort()));
    expect(new Set(ports).size).toBe(20);
    const firstEphemeral = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    for (const port of ports) expect(port).toBeLessThan(firstEphemeral);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: ports[0]! });
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "?"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});

describe("onFreePort", () => {
  it("starts again on a fresh port when the first was taken meanwhile", async () => {
    const tried: number[] = [];
    const thief = { server: null as Awaited<ReturnType<typeof bind>> | null };
    const started = await onFreePort(async (port) => {
      tried.push(port);
      // Someone takes the first port between closedPort() and our bind.
      if (tried.length === 1) thief.server = await bind(port);
      const ours = await bind(port);
      if (ours.code) throw new Error(`listen ${ours.code} 127.0.0.1:${port}`);
      return ours;
    }, taken);
    expect(started.code).toBeNull();
    expect(tried).toHaveLength(2);
    expect(tried[1]).not.toBe(tried[0]);
    await started.close();
    await thief.server?.close();
  });

  it("fails at once on any other error, and after three taken ports", async () => {
    let calls = 0;
    const failing = (message: string) => async () => {
      calls++;
      throw new Error(message);
    };
    await expect(onFreePort(failing("bad config"), taken)).rejects.toThrow("bad config");
    expect(calls).toBe(1);
    calls = 0;
    await expect(onFreePort(failing("listen EADDRINUSE"), taken)).rejects.toThrow("EADDRINUSE");
    expect(calls).toBe(3);
  });
});
