/**
 * One revocation scenario on the cross-app stack (`startStack`: the real API, the real edge and a
 * recording upstream), over real storage. Many sessions are hammered through the edge while others
 * are locked, wiped, re-authenticated, deleted and logged out at random; every request and receipt
 * is timestamped; a fault can be injected mid-run (cache flushed, cache stopped and started again,
 * API stopped and started again).
 */
import { randomBytes } from "node:crypto";
import { testConfig } from "@sesame/api/testing";
import { generateStoredKey } from "@sesame/api/testing/keys";
import { createSesameClient } from "@sesame/client";
import { startUpstashShim, type SesameBackends, type UpstashShimHandle } from "@sesame/dev-services";
import { Redis as UpstashRedis } from "@upstash/redis";
import { startStack } from "../src/stack.ts";
import { redisServerAvailable, startRedisProcess } from "./redis-process.ts";
import { analyseRun, type ReceiptRecord, type RequestRecord, type RevocationReport } from "./report.ts";

export const SCENARIOS = ["normal", "cache-flushed", "cache-restarted", "api-restarted"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  name: ScenarioName;
  backends: SesameBackends;
  sessions: number;
  durationMs: number;
  /** Concurrent request loops against the edge. */
  concurrency: number;
  /** Fraction of the sessions revoked during the run. */
  revokeFraction: number;
  leaseSeconds: number;
  /** How long the injected fault lasts. */
  faultMs: number;
  log?: (line: string) => void;
}

export interface ScenarioResult extends RevocationReport {
  scenario: ScenarioName;
  revocationErrors: number;
  durationMs: number;
}

export const ACTIONS = ["lock", "wipe", "reauthenticate", "delete", "logout"] as const;

interface Tracked {
  userId: string;
  sessionId: string;
  accessToken: string;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const log = options.log ?? (() => {});
  const token = randomBytes(24).toString("base64url");
  const prefix = `${options.backends.cachePrefix}rev-${options.name}:`;
  // Stopping Redis for real needs a Redis of our own; the shared one is never stopped.
  let redis = options.name === "cache-restarted" && options.backends.redisUrl && redisServerAvailable() ? await startRedisProcess() : null;
  const redisUrl = redis?.url ?? options.backends.redisUrl;
  const shimOptions = { token, ...(redisUrl ? { redisUrl } : {}) };
  let shim: UpstashShimHandle | null = await startUpstashShim(shimOptions);
  const shimPort = Number(new URL(shim.url).port);
  const cacheAdmin = new UpstashRedis({ url: shim.url, token, retry: { retries: 0, backoff: () => 0 } });

  // Inline keys: the API restarted mid-run signs and verifies with the same ones.
  const keySet = JSON.stringify({ keys: [await generateStoredKey(new Date())] });
  const backends: SesameBackends = { ...options.backends, upstash: { url: shim.url, token }, cachePrefix: prefix };
  const config = testConfig({ leaseSeconds: options.leaseSeconds, signingKeys: { kind: "inline", json: keySet } }, backends);
  const stack = await startStack({ backends, api: { config, outboxWorker: true }, edgeCache: { timeoutMs: 300 } });
  const apiUrl = stack.api.url;
  const edgeUrl = stack.edge.url;

  const sessions: Tracked[] = [];
  for (let i = 0; i < options.sessions; i++) {
    const { user, session, accessToken } = await stack.newSession();
    sessions.push({ userId: user.id, sessionId: session.id, accessToken });
  }
  log(`${options.name}: ${sessions.length} sessions ready`);

  const requests: RequestRecord[] = [];
  const receipts: ReceiptRecord[] = [];
  const attempts = new Map<string, number>();
  let revocationErrors = 0;
  const started = Date.now();
  const deadline = started + options.durationMs;

  const hammer = async () => {
    while (Date.now() < deadline) {
      const s = sessions[Math.floor(Math.random() * sessions.length)]!;
      const start = Date.now();
      let status = 0;
      try {
        const res = await fetch(`${edgeUrl}/resource`, { headers: { authorization: `Bearer ${s.accessToken}` }, signal: AbortSignal.timeout(5_000) });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        status = -1;
      }
      requests.push({ sessionId: s.sessionId, start, end: Date.now(), status });
    }
  };

  const toRevoke = sessions.slice(0, Math.floor(sessions.length * options.revokeFraction)).sort(() => Math.random() - 0.5);
  const gap = (options.durationMs * 0.85) / Math.max(1, toRevoke.length);
  const revoke = async () => {
    for (const s of toRevoke) {
      if (Date.now() >= deadline) break;
      const action = ACTIONS[Math.floor(Math.random() * ACTIONS.length)]!;
      const calledAt = Date.now();
      if (!attempts.has(s.sessionId)) attempts.set(s.sessionId, calledAt);
      try {
        receipts.push(await revokeOne(action, s, stack.admin, apiUrl, calledAt));
      } catch {
        revocationErrors++;
      }
      await sleep(gap);
    }
  };

  const fault = async () => {
    if (options.name === "normal") return;
    await sleep(options.durationMs * 0.35);
    if (options.name === "cache-flushed") {
      log(`${options.name}: flushing the cache`);
      await deleteByPrefix(cacheAdmin, prefix);
    } else if (options.name === "cache-restarted" && redis) {
      log(`${options.name}: stopping redis-server on port ${redis.port}`);
      const port = redis.port;
      await redis.stop();
      await sleep(options.faultMs);
      redis = await startRedisProcess(port);
      log(`${options.name}: redis-server started again (empty)`);
    } else if (options.name === "cache-restarted") {
      // No Redis of our own (embedded run): stop the in-memory cache endpoint; it comes back empty.
      log(`${options.name}: stopping the cache endpoint`);
      await shim?.close();
      shim = null;
      await sleep(options.faultMs);
      shim = await startUpstashShim({ ...shimOptions, port: shimPort });
      log(`${options.name}: cache endpoint started again (empty)`);
    } else if (options.name === "api-restarted") {
      log(`${options.name}: stopping the API`);
      await stack.stopApi();
      await sleep(options.faultMs);
      await stack.startApi();
      log(`${options.name}: API started again`);
    }
  };

  await Promise.all([...Array.from({ length: options.concurrency }, hammer), revoke(), fault()]);
  // Let the outbox drain before judging; then stop everything.
  await sleep(500);
  const durationMs = Date.now() - started;
  await stack.stop();
  await shim?.close();
  await redis?.stop();

  const report = analyseRun(requests, receipts, attempts, options.leaseSeconds * 1000);
  return { scenario: options.name, ...report, revocationErrors, durationMs };
}

export type Admin = ReturnType<typeof createSesameClient>;
interface Receipt {
  revocation: { sessionIds: string[]; committedAt: string; effectiveAt: string | null };
}

/**
 * One revoking call of `action` for session `s`, through `admin` (or the session itself for
 * logout), made at `calledAt`; answers its receipt as the report reads it.
 */
export async function revokeOne(action: (typeof ACTIONS)[number], s: Tracked, admin: Admin, apiUrl: string, calledAt: number): Promise<ReceiptRecord> {
  const { revocation } = await callRevoking(action, s, admin, apiUrl);
  return {
    sessionIds: revocation.sessionIds,
    calledAt,
    committedAt: Date.parse(revocation.committedAt),
    effectiveAt: revocation.effectiveAt ? Date.parse(revocation.effectiveAt) : null,
    action,
  };
}

function callRevoking(action: (typeof ACTIONS)[number], s: Tracked, admin: Admin, apiUrl: string): Promise<Receipt> {
  switch (action) {
    case "lock":
      return admin.users.lock.mutate({ userId: s.userId, wipe: false });
    case "wipe":
      return admin.sessions.wipe.mutate({ userId: s.userId, sessionId: s.sessionId });
    case "reauthenticate":
      return admin.sessions.reauthenticate.mutate({ userId: s.userId, sessionId: s.sessionId });
    case "delete":
      return admin.sessions.delete.mutate({ userId: s.userId, sessionId: s.sessionId });
    case "logout":
      return createSesameClient({ url: apiUrl, accessToken: s.accessToken }).auth.logout.mutate();
  }
}

async function deleteByPrefix(redis: UpstashRedis, prefix: string) {
  let cursor: string | number = 0;
  do {
    const [next, keys] = (await redis.scan(cursor, { match: `${prefix}*`, count: 1000 })) as [string | number, string[]];
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (String(cursor) !== "0");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
