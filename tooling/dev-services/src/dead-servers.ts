/** Local addresses that cannot answer, for outage tests: nothing listening, or a listener that never replies. */
import { readFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";

/** Binds 127.0.0.1:port and lets it go; resolves with the port the bind got (`port` itself unless 0), or null when it was taken. */
function bindAndRelease(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * The first port the kernel hands out by itself (a bind to port 0, an outgoing connection's local
 * port): Linux's ip_local_port_range, else the IANA dynamic range.
 */
function firstEphemeralPort(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 49_152;
  } catch {
    return 49_152;
  }
}

const handedOut = new Set<number>();

/**
 * A local port nothing listens on: connections to it are refused at once. It lies below the ports
 * the kernel hands out by itself, so no server of the suites running beside this one (they bind
 * port 0) can take it while a test counts on it being dead, or before the server it was found for
 * binds it. Never the same port twice in one process.
 */
export async function closedPort(): Promise<number> {
  const first = firstEphemeralPort();
  for (let tries = 0; first > 20_000 && tries < 50; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (first - 10_000));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the bind, so that a call running beside this one cannot pick it too
    if ((await bindAndRelease(port)) === port) return port;
    handedOut.delete(port);
  }
  return (await bindAndRelease(0))!;
}

/**
 * Starts a server of another process on a port `closedPort()` found free. Between the two, another
 * process (a suite running beside this one) can take the port: when `start` fails and `taken(error)`
 * says that is why, it starts again on a fresh port, three tries in all.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, taken: (error: unknown) => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await closedPort());
    } catch (error) {
      if (attempt >= 3 || !taken(error)) throw error;
    }
  }
}

export interface SilentServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Accepts connections and never answers: a hung or black-holed server, which only a timeout gets a caller out of. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface CuttableRelay {
  /** The local port that relays to the target. */
  port: number;
  /** Drops every relayed connection and refuses new ones (closed as soon as they open), as an outage would. */
  cut(): void;
  /** Relays new connections again. */
  restore(): void;
  close(): Promise<void>;
}

/** A TCP relay to `target` that a test can cut and restore: a network outage between a client and a real server. */
export async function startCuttableRelay(target: { host: string; port: number }): Promise<CuttableRelay> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
