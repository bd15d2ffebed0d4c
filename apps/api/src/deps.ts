/** Everything a request handler needs, built once per process (or per test). */
import type { RateLimiter, SessionCacheStore } from "@sesame/cache";
import type { Logger } from "pino";
import type { ApiConfig } from "./config.ts";
import type { Db } from "./db/client.ts";
import type { ApiMetrics } from "./lib/metrics.ts";
import type { Mailer } from "./lib/mailer.ts";
import type { KeyRing } from "./lib/signing-keys.ts";

export interface AppDeps {
  config: ApiConfig;
  db: Db;
  cache: SessionCacheStore;
  keys: KeyRing;
  logger: Logger;
  limiter: RateLimiter;
  mailer: Mailer;
  now: () => Date;
  /** Prometheus counters and gauges of this instance (`GET /metrics`). */
  metrics: ApiMetrics;
}
