/** Caches that cannot answer, for the contract suites' outage cases. */
import { createServer, type Server } from "node:net";
import type { CacheConfig } from "../src/config.ts";

/** The budget the unreachable caches are given. */
export const TIMEOUT_MS = 300;

/** Each implementation, pointed at a local port. */
export const unreachable: { name: string; config(port: number): CacheConfig }[] = [
  { name: "Upstash cache", config: (port) => ({ kind: "upstash", url: `http://127.0.0.1:${port}`, token: "t", prefix: "dead:", timeoutMs: TIMEOUT_MS }) },
  { name: "TCP cache", config: (port) => ({ kind: "tcp", url: `redis://127.0.0.1:${port}`, prefix: "dead:", timeoutMs: TIMEOUT_MS }) },
];

/** A server that accepts connections and never answers: only a timeout gets the caller out. */
export async function silentServer(): Promise<{ port: number; server: Server }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}
