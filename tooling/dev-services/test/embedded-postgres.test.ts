import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../src/index.ts";

// PGlite serves one connection at a time: every client here uses a pool of size 1.
const connect = (url: string) => postgres(url, { max: 1, onnotice: () => undefined });

describe("embedded Postgres", () => {
  const temp = mkdtempSync(join(tmpdir(), "sesame-pglite-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("serves postgres.js in memory", async () => {
    const pg = await startEmbeddedPostgres();
    expect(pg.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
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

  it("close() can be called twice", async () => {
    const pg = await startEmbeddedPostgres();
    await Promise.all([pg.close(), pg.close()]);
  });
});
