/**
 * The Upstash client on Node: the same @upstash/redis commands, carried by undici's pooled
 * dispatcher (keep-alive, bounded connections) instead of the global `fetch`, whose per-call
 * Request/Response/stream machinery was most of the cost of a cache read. @upstash/redis takes a
 * custom `Requester` for exactly this (its Node entry); the contract suites run through it.
 * Node only: edge runtimes keep the Fetch client (upstash-cache.ts).
 */
import { Redis, errors, type Requester, type UpstashRequest, type UpstashResponse } from "@upstash/redis";
import { Pool, errors as undiciErrors } from "undici";
import type { Cache, CacheOptions } from "./cache.ts";
import type { UpstashCacheConfig } from "./config.ts";
import { UPSTASH_RETRIES, UPSTASH_RETRY_BACKOFF_MS, checkUpstashConfig, upstashCacheOver } from "./upstash-cache.ts";

/** Connections kept open to the REST endpoint; reads are batched (one MGET per turn), so few are busy at once. */
const CONNECTIONS = 16;

/** The client's command options, as `createUpstashCache` sets them for the Fetch client. */
class PooledUpstashRedis extends Redis {
  constructor(requester: Requester) {
    super(requester);
    // Raw strings back, decoded by `decodeCacheEntry`; no telemetry headers.
    this.opts = { automaticDeserialization: false };
    this.enableTelemetry = false;
  }
}

/**
 * @example
 * const cache = createPooledUpstashCache({ kind: "upstash", url, token, prefix: "sesame:", timeoutMs: 500 });
 */
export function createPooledUpstashCache(config: UpstashCacheConfig, options: CacheOptions = {}): Cache {
  checkUpstashConfig(config);
  const base = new URL(config.url);
  const basePath = base.pathname.replace(/\/+$/, "");
  const pool = new Pool(base.origin, { connections: CONNECTIONS, keepAliveTimeout: 4_000, connect: { timeout: config.timeoutMs } });
  const headers = { authorization: `Bearer ${config.token}`, "content-type": "application/json" };

  const requester: Requester = {
    // Each edge instance reads independently; it gains nothing from sync tokens.
    readYourWrites: false,
    async request<TResult>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
      const path = [basePath, ...(req.path ?? [])].join("/") || "/";
      const body = JSON.stringify(req.body);
      // One budget for the call, retries included, as on the Fetch client.
      const signal = AbortSignal.timeout(config.timeoutMs);
      for (let attempt = 0; ; attempt++) {
        let answer;
        try {
          answer = await pool.request({ method: "POST", path, headers, body, signal });
        } catch (error) {
          if (signal.aborted || attempt >= UPSTASH_RETRIES || error instanceof undiciErrors.RequestAbortedError) throw error;
          await new Promise((resolve) => setTimeout(resolve, UPSTASH_RETRY_BACKOFF_MS));
          continue;
        }
        const text = await answer.body.text();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (cause) {
          throw new errors.UpstashJSONParseError(text, { cause });
        }
        if (answer.statusCode < 200 || answer.statusCode > 299) {
          throw new errors.UpstashError(`${String((parsed as { error?: unknown }).error)}, command was: ${body}`);
        }
        return parsed as UpstashResponse<TResult>;
      }
    },
  };
  return upstashCacheOver(new PooledUpstashRedis(requester), config, options, () => pool.close());
}
