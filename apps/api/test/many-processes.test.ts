// Several API processes on one Postgres: they start together (migrations take turns) and all run
// the cache outbox's retry worker (each row is claimed, and so written to the cache, once).
// Separate connection pools stand in for the processes here; `npm run test:cluster` runs real ones.
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SessionCacheStore } from "@sesame/cache";
import { encodeCacheEntry, tombstoneCacheEntry, type CacheEntry } from "@sesame/core";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDb } from "../src/db/client.ts";
import { runMigrations } from "../src/db/migrate.ts";
import { cacheOutbox } from "../src/db/schema.ts";
import type { AppDeps } from "../src/deps.ts";
import { drainCacheOutbox } from "../src/services/revocation/outbox-worker.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

const backends = inject("sesameBackends");
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.stop();
});

describe("the cache outbox with a retry worker in every process", () => {
  it("delivers each due row exactly once when three workers drain at the same time", async () => {
    const now = api.deps.now();
    const entries: CacheEntry[] = Array.from({ length: 120 }, (_, i) => tombstoneCacheEntry({ id: randomUUID(), version: i + 1 }, "session_revoked", now));
    const sids = new Set(entries.map((entry) => entry.sid));
    await api.deps.db.insert(cacheOutbox).values(entries.map((entry) => ({ sessionId: entry.sid, entry: encodeCacheEntry(entry), nextAttemptAt: new Date(now.getTime() - 1_000) })));

    // Each "process": its own pool, the real cache store, and a count of what it wrote there.
    const written = new Map<string, number>();
    const embedded = backends.description.postgres === "embedded";
    const pools = Array.from({ length: 3 }, () => (embedded ? null : createDb({ url: backends.databaseUrl, max: 2 })));
    const processes: AppDeps[] = pools.map((pool) => ({
      ...api.deps,
      db: pool?.db ?? api.deps.db,
      cache: counting(api.deps.cache, written),
    }));
    try {
      // Small batches, so the passes overlap and contend for the same rows.
      const drained = await Promise.all(processes.map(async (deps) => {
        let total = 0;
        for (let pass = 0; pass < 10; pass++) total += await drainCacheOutbox(deps, 20);
        return total;
      }));
      const mine = [...written].filter(([sid]) => sids.has(sid));
      expect(mine).toHaveLength(entries.length);
      expect(mine.filter(([, times]) => times !== 1)).toEqual([]);
      expect(drained.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(entries.length);
      const [row] = await api.deps.db.execute<{ pending: number }>(
        sql`select count(*)::int as pending from cache_outbox where delivered_at is null and session_id in ${[...sids]}`,
      );
      expect(row!.pending).toBe(0);
    } finally {
      await Promise.all(pools.map((pool) => pool?.close()));
    }
  });

  it("leaves a row just committed to the process that committed it (not due for the workers yet)", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const user = await admin.users.create.mutate({ username: `grace${randomBytes(3).toString("hex")}` });
    const { session } = await admin.sessions.create.mutate({ userId: user.id });
    const [row] = await api.deps.db.execute<{ due: Date; created: Date }>(
      sql`select next_attempt_at as due, created_at as created from cache_outbox where session_id = ${session.id} order by id desc limit 1`,
    );
    expect(new Date(row!.due).getTime()).toBeGreaterThan(api.deps.now().getTime());
  });
});

function counting(store: SessionCacheStore, written: Map<string, number>): SessionCacheStore {
  return {
    ...store,
    async putMany(entries, now) {
      const results = await store.putMany(entries, now);
      for (const entry of entries) written.set(entry.sid, (written.get(entry.sid) ?? 0) + 1);
      return results;
    },
  };
}

// Several processes migrating one fresh database at once: needs a Postgres server that takes
// several connections (embedded PGlite serves one), so only on real Postgres.
const realPostgres = backends.description.postgres === "real";
for (const server of realPostgres ? [backends.databaseUrl] : []) {
  describe("migrations from several processes at once", () => {
    it("apply every migration exactly once on a fresh database", async () => {
      const admin = postgres(server, { max: 1, onnotice: () => {} });
      const name = `sesame_test_migrate_${randomBytes(5).toString("hex")}`;
      await admin.unsafe(`create database "${name}"`);
      const url = new URL(server);
      url.pathname = `/${name}`;
      try {
        await Promise.all(Array.from({ length: 4 }, () => runMigrations(url.toString())));
        const fresh = postgres(url.toString(), { max: 1, onnotice: () => {} });
        try {
          const [row] = await fresh<{ applied: number }[]>`select count(*)::int as applied from drizzle.__drizzle_migrations`;
          const applied = row!.applied;
          const files = readdirSync(fileURLToPath(new URL("../drizzle", import.meta.url))).filter((file) => file.endsWith(".sql"));
          expect(applied).toBe(files.length);
        } finally {
          await fresh.end();
        }
      } finally {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.end();
      }
    }, 60_000);
  });
}
