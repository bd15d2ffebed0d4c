/**
 * Postgres in-process: PGlite (Postgres compiled to WASM) served over the Postgres wire protocol,
 * so postgres.js, drizzle and psql connect to it like to any server.
 *
 * Clients must give the user and password: pglite-socket itself trusts anyone, so it listens only
 * on a Unix socket in a private directory, and a password gate (postgres-password-gate.ts) in
 * front of it is what listens on host:port.
 *
 * One connection at a time: PGlite is a single backend and the socket server resets extra
 * connections instead of queueing them. Clients must use a pool of size 1 (postgres.js `max: 1`).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { formatUrlHost } from "@sesame/service-kit/node";
import { createPGlite } from "./create-pglite.ts";
import { ensurePortFree } from "./ensure-port-free.ts";
import { startPostgresPasswordGate } from "./postgres-password-gate.ts";

/** The one user the embedded server admits. */
export const EMBEDDED_POSTGRES_USER = "postgres";

export interface EmbeddedPostgresOptions {
  /** Where the data lives; reused when it exists. Absent = in memory, gone on close. */
  dataDir?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The password clients must give (with user `postgres`). Absent = a random one, in `url`. */
  password?: string;
}

export interface EmbeddedPostgres {
  /** postgres://postgres:<password>@host:port/postgres — connect with a pool of size 1. */
  url: string;
  close(): Promise<void>;
}

/** The connection URL of an embedded server. */
export function embeddedPostgresUrl(host: string, port: number, password: string): string {
  return `postgres://${EMBEDDED_POSTGRES_USER}:${encodeURIComponent(password)}@${formatUrlHost(host)}:${port}/postgres`;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const { dataDir, host = "127.0.0.1", port = 0, password = randomBytes(24).toString("base64url") } = options;
  // PGlite has no lock on its data dir: when the port is taken (say, by another `npm run dev` on
  // the same dir) fail before opening the data, not after.
  if (port !== 0) await ensurePortFree(host, port);
  const socket = privateSocketPath();
  const db = await createPGlite(dataDir);
  const server = new PGLiteSocketServer({ db, path: socket.path, maxConnections: 1 });
  let gate: Awaited<ReturnType<typeof startPostgresPasswordGate>>;
  try {
    await server.start();
    gate = await startPostgresPasswordGate({ host, port, user: EMBEDDED_POSTGRES_USER, password, upstreamPath: socket.path });
  } catch (error) {
    await server.stop();
    await db.close();
    socket.remove();
    throw error;
  }
  const boundPort = (gate.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  return {
    url: embeddedPostgresUrl(host, boundPort, password),
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => gate.close(() => resolve()));
        await server.stop();
        // stop() detaches connections without awaiting their rollback; let it run before closing.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await db.close();
        socket.remove();
      })()),
  };
}

/** A Unix socket in a fresh 0700 directory (mkdtemp's mode), or an unguessable pipe name on Windows. */
function privateSocketPath(): { path: string; remove(): void } {
  if (process.platform === "win32") return { path: `\\\\.\\pipe\\sesame-pglite-${randomBytes(16).toString("hex")}`, remove: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), "sesame-pg-"));
  return { path: join(dir, ".s.PGSQL"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
