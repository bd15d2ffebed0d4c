/**
 * Tenant API keys, remembered briefly by this process so an admin call does not spend a Postgres
 * round trip on its own credentials. Keyed by the key's SHA-256 (never the key itself); only keys
 * that exist and are not revoked are remembered, so a guessed key always costs a lookup.
 *
 * A revocation is announced on a Postgres channel at commit (`announceApiKeyRevoked`), and every
 * API process listening (`listenForApiKeyRevocations`) forgets the key at once. The TTL is the
 * bound when a process cannot listen (embedded Postgres serves one connection, where there is one
 * process anyway) or its listening connection is being restored (README.md, "Decisions" › API key
 * lookups).
 */
import { sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import { withDeadline } from "@sesame/cache";
import type postgres from "postgres";
import type { Db, Tx } from "../../db/client.ts";

/** How long a looked-up key is believed without asking Postgres again. */
export const API_KEY_CACHE_TTL_MS = 5_000;
const MAX_KEYS = 10_000;

export interface KnownApiKey {
  id: string;
  tenantId: string;
  /** When lastUsedAt was last written (ms), so the write stays at most once a minute per key. */
  lastUsedAt: number | null;
}

// One cache per pool (per API instance; tests start several in one process).
const caches = new WeakMap<Db, LRUCache<string, KnownApiKey>>();

export function apiKeyCache(db: Db): LRUCache<string, KnownApiKey> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new LRUCache<string, KnownApiKey>({ max: MAX_KEYS, ttl: API_KEY_CACHE_TTL_MS, ttlAutopurge: false });
    caches.set(db, cache);
  }
  return cache;
}

/** Forgets a key (by id) as soon as it is revoked here. */
export function forgetApiKey(db: Db, apiKeyId: string): void {
  const cache = caches.get(db);
  if (!cache) return;
  for (const [hash, key] of cache.entries()) if (key.id === apiKeyId) cache.delete(hash);
}

/** The Postgres channel a revoked key's id is announced on. */
export const API_KEY_REVOKED_CHANNEL = "sesame_api_key_revoked";

/** Inside the revoking transaction: every listening process hears it at commit, and none on rollback. */
export async function announceApiKeyRevoked(tx: Tx, apiKeyId: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${API_KEY_REVOKED_CHANNEL}, ${apiKeyId})`);
}

/** How often each process announces an empty heartbeat on the channel, to know its listening works. */
export const REVOCATION_HEARTBEAT_MS = 10_000;

/**
 * Forgets a key here as soon as any process announces its revocation. Listening runs on its own
 * postgres.js instance (`openListener`: one connection), which re-listens by itself when that
 * connection drops; the cache is emptied whenever listening (re)starts, since announcements made
 * meanwhile were missed. Every process also announces an empty heartbeat on `pool`: when none has
 * been heard for three beats, the listening instance is thrown away and a new one listens. A new
 * instance, not another `listen` on the old one: after an outage the old one can keep a re-listen
 * that never settles, and every later `listen` on it waits behind that one (seen in about one run
 * in five of `test-pg/api-key-revocation.test.ts` before this). An attempt that has not listened
 * within three beats is given up the same way.
 */
export function listenForApiKeyRevocations(
  pool: postgres.Sql,
  openListener: () => postgres.Sql,
  db: Db,
  logger: Logger,
  heartbeatMs = REVOCATION_HEARTBEAT_MS,
): { close(): Promise<void> } {
  let lastHeard = Date.now();
  let closed = false;
  let listener: postgres.Sql | null = null;
  let subscribing: Promise<void> | null = null;
  const subscribe = () => (subscribing ??= listenAnew().finally(() => (subscribing = null)));
  const discard = (instance: postgres.Sql | null) => instance?.end({ timeout: 0 }).catch(() => undefined);
  const listenAnew = async () => {
    void discard(listener);
    const attempt = (listener = openListener());
    try {
      await withDeadline(
        attempt.listen(
          API_KEY_REVOKED_CHANNEL,
          (apiKeyId) => {
            lastHeard = Date.now();
            if (apiKeyId) forgetApiKey(db, apiKeyId);
          },
          () => {
            lastHeard = Date.now();
            apiKeyCache(db).clear();
          },
        ),
        3 * heartbeatMs,
        () => new Error(`no LISTEN within ${3 * heartbeatMs} ms`),
      );
    } catch (error) {
      if (listener === attempt) listener = null;
      void discard(attempt);
      if (!closed) logger.warn({ err: error }, `cannot listen for API key revocations; keys revoked by other processes work here for up to ${API_KEY_CACHE_TTL_MS} ms`);
    }
  };

  void subscribe();
  const beat = setInterval(() => {
    if (Date.now() - lastHeard > 3 * heartbeatMs) void subscribe();
    pool`select pg_notify(${API_KEY_REVOKED_CHANNEL}, '')`.catch(() => undefined);
  }, heartbeatMs);
  beat.unref();

  return {
    async close() {
      closed = true;
      clearInterval(beat);
      // Ending the listening instance also fails a listen still under way (a hung one would
      // otherwise hold shutdown until its deadline, three beats), which then settles `subscribing`.
      await discard(listener);
      await subscribing;
    },
  };
}
