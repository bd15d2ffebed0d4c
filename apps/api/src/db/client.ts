import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.ts";

export interface CreateDbOptions {
  url: string;
  /** Pool size. Embedded Postgres (PGlite) serves exactly one connection: use 1 there. */
  max?: number;
  /** Called with each statement as it is sent, and the pool connection's number (tests count queries with it; postgres.js `debug`). */
  onQuery?: (statement: string, connection: number) => void;
}

/** A postgres.js pool and drizzle over it. Call `close()` on shutdown. */
export function createDb({ url, max = 10, onQuery }: CreateDbOptions) {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    idle_timeout: 30,
    connect_timeout: 10,
    ...(onQuery ? { debug: (connection: number, statement: string) => onQuery(statement, connection) } : {}),
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

export type Db = ReturnType<typeof createDb>["db"];
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** A handle that is either the pool or a transaction, so services compose inside one transaction. */
export type DbOrTx = Db | Tx;
