import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { backfillUsernameKeys } from "./backfill.ts";

/**
 * `apps/api/drizzle`, found from this module upwards: the source runs from `src/db/`, the build
 * (`bundle/main.js`) one level below the package, and both must find the same committed migrations.
 */
export function findMigrationsFolder(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, "drizzle");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error(`no drizzle/meta/_journal.json above ${from}`);
  }
}

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
    await migrate(drizzle(sql), { migrationsFolder: findMigrationsFolder() });
    await backfillUsernameKeys(sql, options.onUsernameCollision);
  } finally {
    // Ending the connection releases the lock too; unlock first so the next process need not wait for that.
    await sql`select pg_advisory_unlock(hashtext('sesame:migrations'))`.catch(() => undefined);
    await sql.end({ timeout: 5 });
  }
}
