import { createServer } from "node:net";

/** Rejects (EADDRINUSE and the like) when host:port cannot be bound right now. */
export function ensurePortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
