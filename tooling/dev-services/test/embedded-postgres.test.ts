import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../src/index.ts";

// PGlite serves one connection at a time: every client here uses a pool of size 1.
const connect = (url: string) => postgres(url, { max: 1, onnotice: () => undefined });

describe("embedded Postgres", () => {
  const temp = mkdtempSync(join(tmpdir(), "sesame-pglite-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("serves postgres.js in memory", async () => {
    const pg = await startEmbeddedPostgres();
    expect(pg.url).toMatch(/^postgres:\/\/postgres:[A-Za-z0-9_-]{32}@127\.0\.0\.1:\d+\/postgres$/);
    const sql = connect(pg.url);
    try {
      await sql`CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`;
      await sql`INSERT INTO notes ${sql([{ body: "one" }, { body: "two" }])}`;
      const rows = await sql<{ body: string }[]>`SELECT body FROM notes ORDER BY id`;
      expect(rows.map((r) => r.body)).toEqual(["one", "two"]);
    } finally {
      await sql.end();
      await pg.close();
    }
  });

  it("keeps data in dataDir across restarts", async () => {
    const dataDir = join(temp, "data");
    const first = await startEmbeddedPostgres({ dataDir });
    const sql1 = connect(first.url);
    await sql1`CREATE TABLE kept (value text)`;
    await sql1`INSERT INTO kept VALUES ('still here')`;
    await sql1.end();
    await first.close();

    const second = await startEmbeddedPostgres({ dataDir });
    const sql2 = connect(second.url);
    try {
      expect(await sql2`SELECT value FROM kept`).toEqual([{ value: "still here" }]);
    } finally {
      await sql2.end();
      await second.close();
    }
  });

  describe("credentials", () => {
    const password = "the-dev-password-0123456789";
    let pg: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
    beforeAll(async () => {
      pg = await startEmbeddedPostgres({ password });
    });
    afterAll(async () => pg?.close());

    /** What connecting with `user`/`password` (null: none) answers: the user, or the refusal's SQLSTATE. */
    async function signIn(user: string, password: string | null): Promise<string> {
      const url = new URL(pg.url);
      url.username = user;
      url.password = password ?? "";
      const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined, connect_timeout: 5 });
      try {
        const [row] = await sql<{ user: string }[]>`SELECT current_user AS user`;
        return `signed in as ${row!.user}`;
      } catch (error) {
        return `refused ${(error as { code?: string }).code}`;
      } finally {
        await sql.end();
      }
    }

    it("admits the configured user with the configured password (SCRAM-SHA-256)", async () => {
      expect(await signIn("postgres", password)).toBe("signed in as postgres");
      expect(pg.url).toBe(`postgres://postgres:${password}@127.0.0.1:${new URL(pg.url).port}/postgres`);
    });

    it("refuses a wrong password, another user, and no password alike", async () => {
      expect(await signIn("postgres", "wrong")).toBe("refused 28P01");
      expect(await signIn("mallory", password)).toBe("refused 28P01");
      expect(await signIn("mallory", "anything")).toBe("refused 28P01");
      expect(await signIn("postgres", null)).toBe("refused 28P01");
    });

    it("still serves the right credentials after refusing others", async () => {
      await signIn("postgres", "wrong");
      expect(await signIn("postgres", password)).toBe("signed in as postgres");
    });
  });

  it("close() can be called twice", async () => {
    const pg = await startEmbeddedPostgres();
    await Promise.all([pg.close(), pg.close()]);
  });
});
