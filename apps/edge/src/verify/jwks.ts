/**
 * The API's signing keys, fetched from its JWKS endpoint by jose and watched for changes so the
 * token cache can be purged when a key is withdrawn.
 */
import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from "jose";

export interface JwksKeySetOptions {
  url: string;
  fetch?: typeof fetch;
  /** Per fetch; default DEFAULT_JWKS_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Minimum time between refetches triggered by unknown `kid`s; default 30 s (bounds what forged kids can cost). */
  cooldownMs?: number;
  /** Keys are refetched after this long; default 5 min. */
  cacheMaxAgeMs?: number;
  /** Called when a fetch brings a key set different from the previous one. */
  onChange?: () => void;
}

export interface JwksKeySet {
  /** For `jwtVerify`. Fetch failures come out as `KeySetUnavailableError`. */
  getKey: JWTVerifyGetKey;
  /** Starts a background refetch when the keys are older than `cacheMaxAgeMs`; its promise never rejects. */
  refreshIfStale(): Promise<void> | undefined;
}

/** Per fetch: a cold edge facing an unreachable API answers 503 within a second (see introspect.ts). */
export const DEFAULT_JWKS_TIMEOUT_MS = 800;

/** The key set could not be fetched (API down, timeout, not a JWKS): nothing can be verified. */
export class KeySetUnavailableError extends Error {
  override readonly name = "KeySetUnavailableError";
}

/** Errors that mean "the key set answered, and no key fits this token". */
const keyMismatchErrors = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported];

export function createJwksKeySet(options: JwksKeySetOptions): JwksKeySet {
  const { url, timeoutMs = DEFAULT_JWKS_TIMEOUT_MS, cooldownMs = 30_000, cacheMaxAgeMs = 300_000, onChange } = options;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  let fetches = 0;
  let seenFetches = 0;
  let fingerprint: string | undefined;

  const remote = createRemoteJWKSet(new URL(url), {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownMs,
    cacheMaxAge: cacheMaxAgeMs,
    [customFetch]: (input: string, init: RequestInit) => {
      fetches += 1;
      return fetchImpl(input, init);
    },
  });

  /** Cheap unless a fetch happened since the last look. */
  function detectChange(): void {
    if (fetches === seenFetches) return;
    // Marked as seen only once no fetch is pending: a refetch cut short (a cancelled request on
    // Workers) then costs a key-set comparison per verification, never a missed change.
    if (!remote.reloading) seenFetches = fetches;
    const keys = remote.jwks()?.keys;
    if (!keys) return;
    const next = keys
      .map((key) => JSON.stringify([key.kid, key.kty, key.crv, key.x, key.y, key.n, key.e]))
      .sort()
      .join("\n");
    if (fingerprint !== undefined && next !== fingerprint) onChange?.();
    fingerprint = next;
  }

  return {
    async getKey(header, token) {
      try {
        return await remote(header, token);
      } catch (error) {
        if (keyMismatchErrors.some((type) => error instanceof type)) throw error;
        throw new KeySetUnavailableError(`JWKS at ${url} unavailable: ${(error as Error).message}`, { cause: error });
      } finally {
        detectChange();
      }
    },
    refreshIfStale() {
      if (remote.fresh || remote.reloading) return undefined;
      return remote.reload().then(detectChange, () => {});
    },
  };
}
