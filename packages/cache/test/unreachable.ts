/** Caches that cannot answer, for the contract suites' outage cases. */
import type { CacheConfig } from "../src/config.ts";

/** The budget the unreachable caches are given. */
export const TIMEOUT_MS = 300;

/** Each implementation, pointed at a local port. */
export const unreachable: { name: string; config(port: number): CacheConfig }[] = [
  { name: "Upstash cache", config: (port) => ({ kind: "upstash", url: `http://127.0.0.1:${port}`, token: "t", prefix: "dead:", timeoutMs: TIMEOUT_MS }) },
  { name: "TCP cache", config: (port) => ({ kind: "tcp", url: `redis://127.0.0.1:${port}`, prefix: "dead:", timeoutMs: TIMEOUT_MS }) },
];
