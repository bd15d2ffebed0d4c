/**
 * Migration 0010 on a database that already has webhook deliveries: a disabled endpoint's pending
 * backlog is held from the start (or every claim would step over it until the endpoint is enabled
 * again); an enabled endpoint's, and finished deliveries, are not.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findMigrationsFolder, runMigrations } from "../src/db/migrate.ts";

const BEFORE = "0009_webhook_claim_index";
let admin: postgres.Sql;
let url: string;
let name: string;

beforeAll(async () => {
  const server = inject("sesameBackends").databaseUrl;
  admin = postgres(server, { max: 1, onnotice: () => {} });
  name = `sesame_test_m0010_${randomBytes(5).toString("hex")}`;
  await admin.unsafe(`create database "${name}"`);
  const at = new URL(server);
  at.pathname = `/${name}`;
  url = at.toString();
});
afterAll(async () => {
  await admin?.unsafe(`drop database if exists "${name}" with (force)`);
  await admin?.end();
});

/** Applies the committed migrations up to and including `last`, as a database made before the next one was. */
async function migrateUpTo(last: string) {
  const folder = mkdtempSync(join(tmpdir(), "sesame-migrations-"));
  try {
    cpSync(findMigrationsFolder(), folder, { recursive: true });
    const journalFile = join(folder, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
    const upTo = journal.entries.findIndex((entry) => entry.tag === last);
    expect(upTo, `migration ${last}`).toBeGreaterThanOrEqual(0);
    writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo + 1) }));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await migrate(drizzle(sql), { migrationsFolder: folder });
    } finally {
      await sql.end();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe("migration 0010 (held webhook deliveries)", () => {
  it("check: this suite runs on real Postgres", () => {
    expect(inject("sesameBackends").description.postgres).toBe("real");
  });

  it("holds a disabled endpoint's pending backlog, and nothing else", async () => {
    await migrateUpTo(BEFORE);
    const db = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [tenant] = await db<{ id: string }[]>`insert into tenants (code, name, settings) values ('m0010', 'M0010', '{}') returning id`;
      const endpoints = await db<{ id: string; enabled: boolean }[]>`
        insert into webhook_endpoints (tenant_id, url, secret_enc, enabled)
        values (${tenant!.id}, 'https://on.example.com', 'x', true), (${tenant!.id}, 'https://off.example.com', 'x', false)
        returning id, enabled`;
      const [event] = await db<{ id: string; seq: number }[]>`insert into events (tenant_id, type, actor_kind, data) values (${tenant!.id}, 'user.updated', 'admin', '{}') returning id, seq`;
      for (const endpoint of endpoints) {
        for (const [i, status] of (["pending", "pending", "delivered"] as const).entries()) {
          await db`
            insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, order_key, order_seq, status)
            values (${tenant!.id}, ${endpoint.id}, ${event!.id}, 'user.updated', ${`queue-${i}`}, ${event!.seq}, ${status})`;
        }
      }

      await runMigrations(url);

      const rows = await db<{ enabled: boolean; status: string; held: boolean }[]>`
        select w.enabled, d.status, d.held from webhook_deliveries d join webhook_endpoints w on w.id = d.endpoint_id order by w.enabled, d.status, d.order_key`;
      expect(rows).toEqual([
        { enabled: false, status: "delivered", held: false },
        { enabled: false, status: "pending", held: true },
        { enabled: false, status: "pending", held: true },
        { enabled: true, status: "delivered", held: false },
        { enabled: true, status: "pending", held: false },
        { enabled: true, status: "pending", held: false },
      ]);
    } finally {
      await db.end();
    }
  });
});
