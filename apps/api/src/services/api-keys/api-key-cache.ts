/**
 * Tenant API keys, remembered briefly by this process so an admin call does not spend a Postgres
 * round trip on its own credentials. Keyed by the key's SHA-256 (never the key itself); only keys
 * that exist and are not revoked are remembered, so a guessed key always costs a lookup.
 *
 * A key revoked through this process is forgotten at once; one revoked through another API process
 * keeps working here for at most API_KEY_CACHE_TTL_MS (README.md, "Decisions" › API key lookups).
 */
import { LRUCache } from "lru-cache";
import type { Db } from "../../db/client.ts";

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
