import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.ts";

export interface CreateDbOptions {
  url: string;
  /** Pool size. Embedded Postgres (PGlite) serves exactly one connection: use 1 there. */
  max?: number;
  /**
   * Named prepared statements for every query (default true). Off only behind a pooler that cannot
   * keep them (PgBouncer in transaction mode before 1.21): `DATABASE_PREPARE=false`.
   */
  prepare?: boolean;
  /** Called with each statement as it is sent, and the pool connection's number (tests count queries with it; postgres.js `debug`). */
  onQuery?: (statement: string, connection: number) => void;
}

/** A postgres.js pool and drizzle over it. Call `close()` on shutdown. */
export function createDb({ url, max = 10, prepare = true, onQuery }: CreateDbOptions) {
  const sql = postgres(url, {
    max,
    prepare,
    onnotice: () => {},
    idle_timeout: 30,
    connect_timeout: 10,
    ...(onQuery ? { debug: (connection: number, statement: string) => onQuery(statement, connection) } : {}),
  });
  const db = drizzle(prepare ? preparedByDefault(sql) : sql, { schema });
  /** A separate instance for LISTEN, whose single connection its owner may throw away and replace (api-key-cache.ts). */
  const openListener = () => postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  return { db, sql, openListener, close: () => sql.end({ timeout: 5 }) };
}

type Sql = postgres.Sql;

/**
 * drizzle sends its ad-hoc queries with `prepare: false`; postgres.js then sends a query with
 * parameters as Parse+Describe, waits for the parameter types, and only then Bind+Execute: two
 * round trips per statement. Prepared, a statement seen before on the connection is one round
 * trip (Bind+Execute). postgres.js keeps the statements per connection, keyed by their text, and
 * drops them when the connection is recycled (`max_lifetime`); drizzle's SQL text depends only on
 * the query's shape, never on values, so the set stays small.
 */
function preparedByDefault<T extends Sql>(sql: T): T {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (query: string, parameters?: unknown[], options?: { prepare?: boolean }) => target.unsafe(query, parameters as never, { ...options, prepare: true });
      }
      if (property === "begin" || property === "savepoint") {
        const open = Reflect.get(target, property, receiver) as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => {
          const work = args.pop() as (inner: Sql) => unknown;
          return open.call(target, ...args, (inner: Sql) => work(preparedByDefault(inner)));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

export type Db = ReturnType<typeof createDb>["db"];
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** A handle that is either the pool or a transaction, so services compose inside one transaction. */
export type DbOrTx = Db | Tx;
