/**
 * Prometheus metrics of one API instance (prom-client, its own registry so several instances in
 * one process — tests — never share counters). Served at `GET /metrics` (app.ts) when
 * `SESAME_METRICS_TOKEN` is set; README.md, "Metrics", lists them with the alerts worth setting.
 */
import type { RateLimiter } from "@sesame/cache";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface OutboxBacklog {
  /** Cache entries committed but not yet in the cache. */
  pending: number;
  /** Age of the oldest of them, in seconds (0 when none). */
  oldestAgeSeconds: number;
}

export interface ApiMetricsOptions {
  /** Read at each scrape (one indexed query over the outbox's pending rows). */
  outboxBacklog: () => Promise<OutboxBacklog>;
}

export function createApiMetrics({ outboxBacklog }: ApiMetricsOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "sesame_api_" });
  const requests = new Counter({
    name: "sesame_api_requests_total",
    help: "HTTP requests answered, by route (tRPC procedure or REST route pattern), method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "sesame_api_request_duration_seconds",
    help: "Time from request to response headers, by route.",
    labelNames: ["route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const unavailable = new Counter({
    name: "sesame_api_unavailable_total",
    help: "Answers of 503 because Postgres or the cache could not answer, by route.",
    labelNames: ["route"] as const,
    registers: [registry],
  });
  const introspections = new Counter({
    name: "sesame_api_introspections_total",
    help: "Introspection calls from the edge, by result (active, or why not).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const rateLimitRefusals = new Counter({
    name: "sesame_api_rate_limit_refusals_total",
    help: "Attempts refused by a rate limit, by limit (the counter's kind, never its key).",
    labelNames: ["limit"] as const,
    registers: [registry],
  });
  // Both outbox gauges come from one query per scrape.
  let backlog: Promise<OutboxBacklog> | null = null;
  const readBacklog = () => {
    backlog ??= outboxBacklog().finally(() => setTimeout(() => (backlog = null), 0));
    return backlog;
  };
  new Gauge({
    name: "sesame_api_outbox_pending",
    help: "Cache entries committed to Postgres but not yet delivered to the cache (the outbox backlog).",
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).pending);
    },
  });
  new Gauge({
    name: "sesame_api_outbox_oldest_age_seconds",
    help: "Age of the oldest undelivered outbox entry; 0 when the outbox is empty.",
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).oldestAgeSeconds);
    },
  });
  return { registry, requests, duration, unavailable, introspections, rateLimitRefusals };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** The limiter, counting its refusals. The label is the key's kind (`login:acct`), never the key. */
export function countingLimiter(limiter: RateLimiter, metrics: Pick<ApiMetrics, "rateLimitRefusals">): RateLimiter {
  return {
    async limit(key, rule) {
      const decision = await limiter.limit(key, rule);
      if (!decision.ok) metrics.rateLimitRefusals.inc({ limit: key.split(":").slice(0, 2).join(":") });
      return decision;
    },
    refund: (key, rule, counted) => limiter.refund(key, rule, counted),
  };
}
