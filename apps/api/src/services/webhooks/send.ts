/**
 * One HTTP attempt of a webhook delivery, over undici with the safety rules of target-policy.ts:
 * every address the target's name resolves to is checked and the connection is pinned to the
 * checked one (`connect.lookup`), redirects are never followed (a 3xx is a failed attempt), the
 * whole attempt has 10 s, and at most 4 KiB of the answer is read.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, request } from "undici";
import { storableText } from "../../lib/find-nul.ts";
import { forbiddenAddressReason, type TargetPolicy } from "./target-policy.ts";

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Read at most this much of an answer (then the connection is dropped). */
export const MAX_RESPONSE_BYTES = 4096;
/** Keep this much of it in the delivery log. */
export const STORED_RESPONSE_CHARS = 1024;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type AttemptOutcome =
  | { ok: true; status: number; body: string; durationMs: number }
  | { ok: false; status: number | null; body: string | null; error: string; durationMs: number };

class RefusedTarget extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedTarget";
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup that refuses names resolving to any forbidden address, for net/tls `connect`. */
function pinnedLookup(policy: TargetPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string } | number, callback: LookupCallback) => {
    const raw = typeof options === "number" ? options : options.family;
    const family = raw === "IPv4" ? 4 : raw === "IPv6" ? 6 : typeof raw === "number" ? raw : 0;
    dnsLookup(hostname, { all: true, family }, (error, addresses) => {
      if (error) return callback(error, []);
      // All of them, not just the first: a name with one public and one internal record is refused,
      // so a rebinding answer cannot pick the internal one at connect time.
      for (const a of addresses) {
        const reason = forbiddenAddressReason(a.address, policy);
        if (reason) return callback(Object.assign(new RefusedTarget(`${hostname} resolves to ${reason}`), { code: "EWEBHOOKTARGET" }), []);
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
      if (typeof options === "object" && options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

export interface WebhookSender {
  send(req: WebhookRequest): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

export function createWebhookSender(policy: TargetPolicy, options: { timeoutMs?: number } = {}): WebhookSender {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const agent = new Agent({
    connect: { lookup: pinnedLookup(policy), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 4_000,
    connections: 32,
  });
  return {
    async send(req) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const url = new URL(req.url);
        const host = url.hostname.replace(/^\[|\]$/g, "");
        // A literal address never goes through lookup: check it here.
        if (isIP(host)) {
          const reason = forbiddenAddressReason(host, policy);
          if (reason) throw new RefusedTarget(reason);
        }
        if (policy.httpsOnly && url.protocol !== "https:") throw new RefusedTarget("only https: targets are allowed");
        const res = await request(url, {
          method: "POST",
          headers: req.headers,
          body: req.body,
          dispatcher: agent, // undici 7 follows no redirect unless a redirect interceptor is added
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await readLimited(res.body);
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        if (ok) return { ok: true, status: res.statusCode, body, durationMs: elapsed() };
        const error = res.statusCode >= 300 && res.statusCode < 400 ? `redirect (HTTP ${res.statusCode}) not followed` : `HTTP ${res.statusCode}`;
        return { ok: false, status: res.statusCode, body, error, durationMs: elapsed() };
      } catch (error) {
        return { ok: false, status: null, body: null, error: describe(error, timeoutMs), durationMs: elapsed() };
      }
    },
    close: () => agent.close(),
  };
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_RESPONSE_BYTES) {
      body.destroy();
      break;
    }
  }
  return storableText(Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString("utf8"), STORED_RESPONSE_CHARS);
}

function describe(error: unknown, timeoutMs: number): string {
  let e: unknown = error;
  // undici wraps the connect failure; the refusal is the interesting part.
  for (let i = 0; i < 3 && e instanceof Error; i++) {
    if (e instanceof RefusedTarget || (e as { code?: string }).code === "EWEBHOOKTARGET") return `refused: ${e.message}`;
    e = e.cause;
  }
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    if (error.name === "TimeoutError" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
      return `timed out after ${timeoutMs} ms`;
    }
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
