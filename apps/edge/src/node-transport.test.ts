/**
 * The undici transport over real sockets: bodies stream both ways (each side sees the first bytes
 * before the other has sent the rest), the upstream's hop-by-hop headers stay behind, and an upstream
 * that does not answer in time is a 502.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Hono } from "hono";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { listen, type HttpListener } from "@sesame/service-kit/node";
import { createNodeUpstreamTransport } from "./node-transport.ts";
import { createUpstreamProxy } from "./proxy.ts";

const transport = createNodeUpstreamTransport({ headersTimeoutMs: 300 });
afterAll(() => transport.close());

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function startEdge(upstreamUrl: string): Promise<HttpListener> {
  const proxy = createUpstreamProxy({ upstreamUrl, transport: transport.forward });
  const edge = await listen(new Hono().all("*", (c) => {
    const url = new URL(c.req.url);
    return proxy(c, null, url.pathname, url);
  }).fetch);
  closers.push(() => edge.close());
  return edge;
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("the undici transport", () => {
  it("streams the response: the client reads the first chunk while the upstream still holds the rest", async () => {
    const firstChunkSeen = deferred();
    const upstreamUrl = await startUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first;");
      // The rest is sent only once the client has the first part: a buffering proxy never gets here.
      void firstChunkSeen.promise.then(() => res.end("rest"));
    });
    const edge = await startEdge(upstreamUrl);
    const body = await new Promise<string>((resolve, reject) => {
      request(`${edge.url}/stream`, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
          if (text.includes("first;")) firstChunkSeen.resolve();
        });
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end();
    });
    expect(body).toBe("first;rest");
  });

  it("stops reading the upstream's body when the client goes away mid-response", async () => {
    const upstreamGaveUp = deferred();
    const upstreamUrl = await startUpstream((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("endless;");
      // Never ends by itself: only the edge letting go of the connection closes it.
      res.once("close", () => upstreamGaveUp.resolve());
    });
    const edge = await startEdge(upstreamUrl);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${edge.url}/stream`, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => undefined);
      req.end();
      setTimeout(() => reject(new Error("no first chunk")), 5_000).unref();
    });
    await upstreamGaveUp.promise;
  });

  it("streams the request: the upstream reads the first chunk while the client still holds the rest", async () => {
    const firstChunkArrived = deferred();
    const upstreamUrl = await startUpstream((req, res) => {
      let received = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        received += chunk;
        if (received.includes("part1;")) firstChunkArrived.resolve();
      });
      req.on("end", () => res.end(`${req.method} ${received}`));
    });
    const edge = await startEdge(upstreamUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(`${edge.url}/upload`, { method: "POST", headers: { "content-type": "text/plain" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.write("part1;");
      // The client sends the rest only after the upstream has the first part.
      void firstChunkArrived.promise.then(() => req.end("part2"));
    });
    expect(answer).toBe("POST part1;part2");
  });

  it("passes the upstream's status and headers on, without its hop-by-hop ones", async () => {
    const upstreamUrl = await startUpstream((_req, res) => {
      res.writeHead(201, { "x-upstream": "yes", "x-hop": "drop-me", connection: "x-hop", "keep-alive": "timeout=99", "set-cookie": ["a=1", "b=2"] });
      res.end("made");
    });
    const edge = await startEdge(upstreamUrl);
    const res = await fetch(`${edge.url}/things`, { method: "POST", body: "x" });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("made");
    expect(res.headers.get("x-upstream")).toBe("yes");
    expect(res.headers.get("x-hop")).toBeNull();
    // The edge's own server speaks for its own connection to the client.
    expect(res.headers.get("keep-alive")).not.toBe("timeout=99");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("carries an upload sent with Expect: 100-continue (the edge's server answers the 100 itself)", async () => {
    const upstreamUrl = await startUpstream((req, res) => {
      let received = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (received += chunk));
      req.on("end", () => res.end(`${String(req.headers.expect)} ${received.length}`));
    });
    const edge = await startEdge(upstreamUrl);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${edge.url}/upload`, { method: "PUT", headers: { expect: "100-continue", "content-length": "4096" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.on("continue", () => req.end("x".repeat(4096)));
    });
    expect(answer).toEqual({ status: 200, text: "undefined 4096" });
  });

  it("answers 502 when the upstream does not send its headers within the budget", async () => {
    const upstreamUrl = await startUpstream(() => {
      // Never answers.
    });
    const edge = await startEdge(upstreamUrl);
    const res = await fetch(`${edge.url}/slow`);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: "bad_gateway" });
  });
});
