import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { startUpstashShim, waitForHttp, waitForTcp } from "../src/index.ts";

const listen = (server: Server, port = 0) =>
  new Promise<number>((resolve) => server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
const freePort = async () => {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
};

describe("waitForTcp", () => {
  it("resolves once something listens", async () => {
    const port = await freePort();
    const server = createServer((socket) => socket.end());
    setTimeout(() => void listen(server, port), 300); // not there yet when waiting starts
    try {
      await expect(waitForTcp("127.0.0.1", port, 5_000)).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });

  it("rejects after the timeout", async () => {
    await expect(waitForTcp("127.0.0.1", await freePort(), 400)).rejects.toThrow(/nothing listening/);
  });
});

describe("waitForHttp", () => {
  it("resolves on any HTTP answer, 401 included", async () => {
    const shim = await startUpstashShim({ token: "t" });
    try {
      await expect(waitForHttp(shim.url, 5_000)).resolves.toBeUndefined();
    } finally {
      await shim.close();
    }
  });

  it("rejects after the timeout", async () => {
    await expect(waitForHttp(`http://127.0.0.1:${await freePort()}/`, 400)).rejects.toThrow(/did not answer/);
  });
});
