/**
 * Waits for the dev services to accept connections, so the API and the edge can start beside
 * them under `turbo dev` without ordering.
 */
import { connect } from "node:net";

const RETRY_MS = 150;
// The PGlite socket server serves one connection and resets any other: give it a moment to notice
// the probe has gone before the caller's real connection arrives.
const SETTLE_MS = 100;

/** Resolves once host:port accepts a TCP connection; rejects after timeoutMs. */
export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probeTcp(host, port, Math.max(1, Math.min(1_000, deadline - Date.now())))) {
      await sleep(SETTLE_MS);
      return;
    }
    if (Date.now() + RETRY_MS > deadline) throw new Error(`waitForTcp: nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(RETRY_MS);
  }
}

/** Resolves once `url` answers HTTP at all (any status: an auth error still means it is up). */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(1_000, deadline - Date.now()))) });
      await response.body?.cancel();
      return;
    } catch {
      if (Date.now() + RETRY_MS > deadline) throw new Error(`waitForHttp: ${url} did not answer after ${timeoutMs} ms`);
      await sleep(RETRY_MS);
    }
  }
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let connected = false;
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on("error", () => undefined); // reported through "close"
    socket.once("connect", () => {
      connected = true;
      // Close politely and wait for "close", so the server has let the probe go when we return.
      socket.end();
    });
    socket.once("close", () => resolve(connected));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
