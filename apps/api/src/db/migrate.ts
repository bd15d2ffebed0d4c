import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { backfillUsernameKeys } from "./backfill.ts";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/**
 * Applies the committed SQL migrations, then the data fixes that need code, on their own single
 * connection. Several API processes starting together take turns on a Postgres advisory lock: the
 * first migrates, the others then find nothing left to do (drizzle's migrator alone would let
 * them race to create its journal table and apply the same migration twice).
 */
export async function runMigrations(url: string, options: { onUsernameCollision?: (userId: string) => void } = {}): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(hashtext('sesame:migrations'))`;
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    await backfillUsernameKeys(sql, options.onUsernameCollision);
  } finally {
    // Ending the connection releases the lock too; unlock first so the next process need not wait for that.
    await sql`select pg_advisory_unlock(hashtext('sesame:migrations'))`.catch(() => undefined);
    await sql.end({ timeout: 5 });
  }
}
