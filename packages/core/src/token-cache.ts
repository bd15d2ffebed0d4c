/**
 * Verified tokens, keyed by the exact token string, so a signature is checked once per process per
 * token. Bounded (LRU), and an entry is only served while its token is unexpired.
 */
import { LRUCache } from "lru-cache";
import { CLOCK_TOLERANCE_SECONDS, type AccessTokenClaims } from "./tokens.ts";

export interface TokenCacheOptions {
  /** Default 10 000 (a few MB). */
  max?: number;
  /** Must match the verifier's, so a cached token expires exactly when a fresh check would reject it. */
  clockToleranceSeconds?: number;
}

export interface TokenCache {
  get(token: string, now: Date): AccessTokenClaims | undefined;
  set(token: string, claims: AccessTokenClaims): void;
  clear(): void;
  readonly size: number;
}

export function createTokenCache(options: TokenCacheOptions = {}): TokenCache {
  const { max = 10_000, clockToleranceSeconds = CLOCK_TOLERANCE_SECONDS } = options;
  const lru = new LRUCache<string, AccessTokenClaims>({ max });
  return {
    get(token, now) {
      const claims = lru.get(token);
      if (!claims) return undefined;
      if ((claims.exp + clockToleranceSeconds) * 1000 <= now.getTime()) {
        lru.delete(token);
        return undefined;
      }
      return claims;
    },
    set: (token, claims) => void lru.set(token, claims),
    clear: () => lru.clear(),
    get size() {
      return lru.size;
    },
  };
}
