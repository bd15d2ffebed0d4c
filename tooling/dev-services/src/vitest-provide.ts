/**
 * What a vitest globalSetup hands to tests under the key `sesameBackends`, and the matching
 * `ProvidedContext` augmentation so `inject("sesameBackends")` is typed. The augmentation applies
 * to any program that imports @sesame/dev-services (even `import type`).
 */
// Loads vitest's types into the program, without which TypeScript rejects the augmentation (TS2664).
import type {} from "vitest";

export interface SesameBackends {
  /** A Postgres database of this test run's own. Embedded: use a pool of size 1. */
  databaseUrl: string;
  /** The cache, Upstash REST style (a real Upstash or the local shim). */
  upstash: { url: string; token: string };
  /** `REDIS_URL` when set, for code that talks to Redis directly; null otherwise. */
  redisUrl: string | null;
  /** Prefix every cache key with this: runs sharing one Redis never see each other's keys. */
  cachePrefix: string;
  description: {
    postgres: "real" | "embedded";
    cache: "upstash" | "redis (via shim)" | "memory (via shim)";
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    sesameBackends: SesameBackends;
  }
}
