import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { backfillUsernameKeys } from "./backfill.ts";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Applies the committed SQL migrations, then the data fixes that need code, on their own single connection. */
export async function runMigrations(url: string, options: { onUsernameCollision?: (userId: string) => void } = {}): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    await backfillUsernameKeys(sql, options.onUsernameCollision);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
