/**
 * Data fixes that need code, run after the SQL migrations (whose SQL cannot compute them).
 *
 * `users.username_key` (migration 0003): rows from before it get `usernameKey(username)`, oldest
 * user first. Where two live users of a tenant share a key — names that only differ in width, case
 * beyond ASCII or composition, which used to count as distinct — the older user keeps it and the
 * newer one is left without a key: it still signs in by email, and an admin renames it
 * (`users.update {username}`), which gives it one. Such rows are logged.
 */
import { usernameKey } from "@sesame/core";
import type { Sql } from "postgres";

const BATCH = 500;

export async function backfillUsernameKeys(sql: Sql, onCollision: (userId: string) => void = () => {}): Promise<void> {
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const rows: { id: string; username: string; created_at: Date }[] = after
      ? await sql`select id, username, created_at from users where username_key is null and (created_at, id) > (${after.createdAt}, ${after.id}) order by created_at, id limit ${BATCH}`
      : await sql`select id, username, created_at from users where username_key is null order by created_at, id limit ${BATCH}`;
    for (const row of rows) {
      try {
        await sql`update users set username_key = ${usernameKey(row.username)} where id = ${row.id} and username_key is null`;
      } catch (error) {
        if ((error as { code?: string }).code !== "23505") throw error;
        onCollision(row.id);
      }
    }
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) return;
    after = { createdAt: last.created_at, id: last.id };
  }
}
