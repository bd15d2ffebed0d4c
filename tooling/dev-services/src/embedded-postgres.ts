/**
 * Postgres in-process: PGlite (Postgres compiled to WASM) served over the Postgres wire protocol,
 * so postgres.js, drizzle and psql connect to it like to any server.
 *
 * One connection at a time: PGlite is a single backend and the socket server resets extra
 * connections instead of queueing them. Clients must use a pool of size 1 (postgres.js `max: 1`).
 */
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { formatUrlHost } from "./listen.ts";
import { createPGlite } from "./create-pglite.ts";
import { ensurePortFree } from "./ensure-port-free.ts";

export interface EmbeddedPostgresOptions {
  /** Where the data lives; reused when it exists. Absent = in memory, gone on close. */
  dataDir?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
}

export interface EmbeddedPostgres {
  /** postgres://postgres@host:port/postgres — connect with a pool of size 1. */
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const { dataDir, host = "127.0.0.1", port = 0 } = options;
  // PGlite has no lock on its data dir: when the port is taken (say, by another `npm run dev` on
  // the same dir) fail before opening the data, not after.
  if (port !== 0) await ensurePortFree(host, port);
  const db = await createPGlite(dataDir);
  const server = new PGLiteSocketServer({ db, host, port, maxConnections: 1 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  // getServerConn() reports the port actually bound, which matters when port is 0.
  const boundPort = Number(server.getServerConn().split(":").pop());
  let closing: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${formatUrlHost(host)}:${boundPort}/postgres`,
    close: () =>
      (closing ??= (async () => {
        await server.stop();
        // stop() detaches connections without awaiting their rollback; let it run before closing.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await db.close();
      })()),
  };
}
