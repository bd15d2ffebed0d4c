/**
 * `npm run test:cluster`: the revocation run on the scaled-out topology, all real processes on
 * ephemeral ports: a Redis Cluster of 3 masters (Debian's `redis-server`, started here), 3 API
 * processes started together on one fresh Postgres database (DATABASE_URL's server), and 2 Node
 * edges (edge i introspects through API i) in front of a recording upstream.
 *
 * Sessions are created through all three APIs and hammered through both edges while half of them
 * are revoked through the three APIs in turn; mid-run one cluster master is killed and started
 * again empty, and a burst of revocations is sent while it is down (their tombstones for keys on
 * that master go through the outbox, drained by the three processes' workers). Then it checks, and exits non-zero unless all hold:
 * - no request accepted after its receipt's effectiveAt (or after the lease when it was null),
 *   no 401 for a session nobody revoked;
 * - the outbox drained across processes: every row delivered, none by two processes, and no
 *   revoked session has an active entry in the cache;
 * - the password budget is one budget across processes (wrong passwords through the 3 APIs in
 *   turn: refused at max + 1);
 * - keys in cluster-safe slots: session entries on every master, limiter counters in the cluster
 *   (every command names one key; a CROSSSLOT refusal would show as errors above).
 *
 * Sizes: CLUSTER_SESSIONS (200), CLUSTER_SECONDS (20), CLUSTER_CONCURRENCY (24).
 */
import { randomBytes } from "node:crypto";
import { LOGIN_ACCOUNT_SOURCE_RULE } from "@sesame/api";
import { generateStoredKey } from "@sesame/api/testing/keys";
import { createCache } from "@sesame/cache/node";
import { createSesameClient, errorCode } from "@sesame/client";
import { redisClusterAvailable, startRecordingUpstream, startRedisCluster, startTestBackends } from "@sesame/dev-services";
import postgres from "postgres";
import { analyseRun, type ReceiptRecord, type RequestRecord } from "../revocation/report.ts";
import { ACTIONS, revokeOne } from "../revocation/scenario.ts";
import { jsonLines, startApiProcess, startEdgeProcess, type SesameProcess } from "./processes.ts";
import { percentile, summariseOutbox } from "./summary.ts";

const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
};
const SESSIONS = num("CLUSTER_SESSIONS", 200);
const DURATION_MS = num("CLUSTER_SECONDS", 20) * 1000;
const CONCURRENCY = num("CLUSTER_CONCURRENCY", 24);
const LEASE_SECONDS = 5;
const FAULT_MS = 3_000;
const countBy = (values: string[]) => Object.fromEntries([...new Set(values)].map((v) => [v, values.filter((x) => x === v).length]));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`[cluster] ${line}`);

if (!process.env.DATABASE_URL) {
  console.error("npm run test:cluster needs DATABASE_URL (a Postgres server: three API processes share one database; embedded PGlite serves one connection)");
  process.exit(2);
}
if (!redisClusterAvailable()) {
  console.error("npm run test:cluster needs redis-server and redis-cli on the PATH (Debian: apt-get install redis-server)");
  process.exit(2);
}

const started = Date.now();
const backends = await startTestBackends();
const cluster = await startRedisCluster();
const upstream = await startRecordingUpstream();
const processes: SesameProcess[] = [];
let failed: string[] = [];
try {
  log(`redis cluster: ${cluster.nodesEnv}`);
  const prefix = `sesame-cluster:${randomBytes(4).toString("hex")}:`;
  const rootKey = `sesame_root_${randomBytes(32).toString("base64url")}`;
  const introspectionSecret = randomBytes(32).toString("base64url");
  const issuer = "http://sesame.cluster.test";
  const common = {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    REDIS_CLUSTER_NODES: cluster.nodesEnv,
    SESAME_CACHE_PREFIX: prefix,
    SESAME_ISSUER: issuer,
    SESAME_INTROSPECTION_SECRET: introspectionSecret,
  };
  const apiEnv = {
    ...common,
    DATABASE_URL: backends.databaseUrl,
    DATABASE_POOL_MAX: "4",
    SESAME_ROOT_KEY: rootKey,
    SESAME_SIGNING_KEYS: JSON.stringify({ keys: [await generateStoredKey(new Date())] }),
    SESAME_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    SESAME_LEASE_SECONDS: String(LEASE_SECONDS),
    LOG_LEVEL: "info",
  };
  // Started together on a database nobody migrated yet: the migrations take turns.
  const apis = await Promise.all([0, 1, 2].map((i) => startApiProcess(`api-${i}`, apiEnv)));
  processes.push(...apis);
  const edges = await Promise.all(
    [0, 1].map((i) => startEdgeProcess(`edge-${i}`, { ...common, SESAME_API_URL: apis[i]!.url, UPSTREAM_URL: upstream.url, SESAME_EDGE_STORE: "tcp" })),
  );
  processes.push(...edges);
  log(`APIs ${apis.map((a) => `${a.url} (pid ${a.pid})`).join(", ")}; edges ${edges.map((e) => `${e.url} (pid ${e.pid})`).join(", ")}; ${Math.round((Date.now() - started) / 1000)} s to start`);

  const { tenant, key } = await createSesameClient({ url: apis[0]!.url, apiKey: rootKey }).tenants.create.mutate({ code: `CL${randomBytes(3).toString("hex").toUpperCase()}`, name: "cluster run" });
  const admins = apis.map((api) => createSesameClient({ url: api.url, apiKey: key }));

  // Sessions, created through the three APIs in turn.
  const sessions: { userId: string; sessionId: string; accessToken: string }[] = [];
  for (let i = 0; i < SESSIONS; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, SESSIONS - i) }, async (_, j) => {
        const admin = admins[(i + j) % admins.length]!;
        const user = await admin.users.create.mutate({ username: `c${randomBytes(6).toString("hex")}` });
        const { session, accessToken } = await admin.sessions.create.mutate({ userId: user.id });
        sessions.push({ userId: user.id, sessionId: session.id, accessToken });
      }),
    );
  }
  log(`${sessions.length} sessions ready`);

  // The revocation run: both edges hammered, revocations through the three APIs in turn.
  const requests: (RequestRecord & { edge: number })[] = [];
  const receipts: (ReceiptRecord & { api: number })[] = [];
  const attempts = new Map<string, number>();
  let revocationErrors = 0;
  const runStarted = Date.now();
  const deadline = runStarted + DURATION_MS;
  const hammer = async () => {
    while (Date.now() < deadline) {
      const s = sessions[Math.floor(Math.random() * sessions.length)]!;
      const edge = Math.floor(Math.random() * edges.length);
      const start = Date.now();
      let status = 0;
      try {
        const res = await fetch(`${edges[edge]!.url}/resource`, { headers: { authorization: `Bearer ${s.accessToken}` }, signal: AbortSignal.timeout(5_000) });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        status = -1;
      }
      requests.push({ sessionId: s.sessionId, start, end: Date.now(), status, edge });
    }
  };
  const toRevoke = sessions.slice(0, Math.floor(sessions.length / 2));
  const gap = (DURATION_MS * 0.85) / Math.max(1, toRevoke.length);
  // Some are kept for a burst while a master is down: their tombstones go through the outbox.
  const burst = toRevoke.splice(-Math.min(15, Math.floor(toRevoke.length / 3)));
  const revokeAt = async (s: (typeof sessions)[number], api: number) => {
    const action = ACTIONS[Math.floor(Math.random() * ACTIONS.length)]!;
    const calledAt = Date.now();
    if (!attempts.has(s.sessionId)) attempts.set(s.sessionId, calledAt);
    try {
      receipts.push({ ...(await revokeOne(action, s, admins[api]!, apis[api]!.url, calledAt)), api });
    } catch {
      revocationErrors++;
    }
  };
  const revoke = async () => {
    for (const [n, s] of toRevoke.entries()) {
      if (Date.now() >= deadline) break;
      await revokeAt(s, n % apis.length);
      await sleep(gap);
    }
  };
  const fault = async () => {
    await sleep(DURATION_MS * 0.35);
    log(`killing redis master 1 (port ${cluster.nodes[1]!.port}) for ${FAULT_MS} ms; ${burst.length} revocations at once through the 3 APIs meanwhile`);
    const restarted = cluster.restartNode(1, FAULT_MS);
    await sleep(300);
    await Promise.all(burst.map((s, n) => revokeAt(s, n % apis.length)));
    await restarted;
    log("redis master 1 is back (empty)");
  };
  await Promise.all([...Array.from({ length: CONCURRENCY }, hammer), revoke(), fault()]);
  const report = analyseRun(requests, receipts, attempts, LEASE_SECONDS * 1000);

  // The outbox, drained by the three processes' workers.
  const db = postgres(backends.databaseUrl, { max: 1, onnotice: () => {} });
  let pending = -1;
  for (let waited = 0; waited < 60_000; waited += 500) {
    [{ pending }] = (await db`select count(*)::int as pending from cache_outbox where delivered_at is null`) as unknown as [{ pending: number }];
    if (pending === 0) break;
    await sleep(500);
  }
  const [{ rows }] = (await db`select count(*)::int as rows from cache_outbox`) as unknown as [{ rows: number }];
  await db.end();
  const outbox = summariseOutbox(apis.map((api) => ({ name: api.name, records: jsonLines(api.lines) })));

  // No revoked session is active in the cache (read through a cluster client of our own).
  const reader = createCache({ kind: "cluster", nodes: cluster.nodes.map(({ host, port }) => `redis://${host}:${port}`), prefix, timeoutMs: 2_000 });
  const revokedIds = [...new Set(receipts.flatMap((r) => r.sessionIds))];
  let activeAfterRevocation = 0;
  let tombstones = 0;
  for (const sid of revokedIds) {
    const entry = await reader.store.get(sid);
    if (entry?.kind === "active") activeAfterRevocation++;
    if (entry?.kind === "revoked") tombstones++;
  }

  // One password budget across processes: wrong passwords through the three APIs in turn.
  const victim = await admins[0]!.users.create.mutate({ username: `budget${randomBytes(3).toString("hex")}`, password: "correct horse battery staple 1" });
  const answers: string[] = [];
  for (let i = 0; i <= LOGIN_ACCOUNT_SOURCE_RULE.max; i++) {
    const api = createSesameClient({ url: apis[i % apis.length]!.url });
    answers.push(await api.auth.login.mutate({ tenant: tenant.code, identifier: victim.username, password: "wrong password, again" }).then(() => "OK", (error: unknown) => errorCode(error) ?? "ERROR"));
  }
  const budgetShared =
    answers.slice(0, LOGIN_ACCOUNT_SOURCE_RULE.max).every((code) => code === "UNAUTHORIZED") && answers[LOGIN_ACCOUNT_SOURCE_RULE.max] === "TOO_MANY_REQUESTS";

  // Where the keys are: every master holds session entries and limiter counters.
  const perMaster = cluster.nodes.map((_, i) => {
    const keys = cluster.cli(i, "--scan", "--pattern", `${prefix}*`).split("\n").filter(Boolean);
    return { sessions: keys.filter((k) => k.startsWith(`${prefix}session:`)).length, counters: keys.filter((k) => k.startsWith(`${prefix}rl:`)).length };
  });
  await reader.close();

  const effectMs = receipts.filter((r) => r.effectiveAt !== null).map((r) => r.effectiveAt! - r.calledAt);
  const summary = {
    topology: "3 redis masters, 3 API processes, 2 edges, 1 Postgres",
    requests: report.requests,
    perEdge: edges.map((_, i) => requests.filter((r) => r.edge === i).length),
    accepted: report.accepted,
    rejected401: report.rejected401,
    unavailable503: report.unavailable503,
    other: report.otherStatus + report.forbidden403,
    /** Statuses besides 200/401/503 by count; -1 is a request the client gave up on after 5 s. */
    otherStatuses: countBy(requests.filter((r) => ![200, 401, 503].includes(r.status)).map((r) => String(r.status))),
    revocations: report.receipts,
    revocationsPerApi: apis.map((_, i) => receipts.filter((r) => r.api === i).length),
    effectiveAtNull: report.receiptsPending,
    acceptedAfterEffectiveAt: report.acceptedAfterEffective,
    acceptedAfterLease: report.acceptedAfterLease,
    wrongful401: report.wrongful401,
    revocationErrors,
    timeToEffectMs: { p50: percentile(effectMs, 50), p99: percentile(effectMs, 99), max: percentile(effectMs, 100) },
    outbox: { rows, pending, deliveredByWorkers: outbox.delivered, perProcess: outbox.perProcess, deliveredTwice: outbox.duplicates.length },
    revokedSessionsActiveInCache: activeAfterRevocation,
    revokedSessionsWithTombstone: `${tombstones}/${revokedIds.length}`,
    passwordBudget: { rule: LOGIN_ACCOUNT_SOURCE_RULE, answers: answers.join(","), shared: budgetShared },
    keysPerMaster: perMaster,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(summary, null, 2));

  failed = [
    report.acceptedAfterEffective > 0 && "requests accepted after effectiveAt",
    report.acceptedAfterLease > 0 && "requests accepted after the lease",
    report.wrongful401 > 0 && "401 for sessions nobody revoked",
    requests.some((r) => r.status >= 0 && ![200, 401, 403, 503].includes(r.status)) && "answers other than 200/401/403/503",
    report.receipts < 5 && "fewer than 5 revocations returned a receipt",
    summary.perEdge.some((n) => n === 0) && "an edge served no request",
    pending !== 0 && "outbox rows left undelivered",
    outbox.duplicates.length > 0 && `outbox rows delivered by two processes: ${outbox.duplicates.join(",")}`,
    activeAfterRevocation > 0 && "revoked sessions still active in the cache",
    !budgetShared && `password budget not shared across processes (${answers.join(",")})`,
    perMaster.some((m) => m.sessions === 0) && "a master holds no session entries (keys pinned to fewer slots than the cluster has)",
    perMaster.every((m) => m.counters === 0) && "no limiter counter in the cluster",
  ].filter((problem): problem is string => typeof problem === "string");
} finally {
  await Promise.all(processes.map((p) => p.stop()));
  await upstream.close();
  await cluster.stop();
  await backends.stop();
}

if (failed.length > 0) {
  console.error(`cluster run FAILED: ${failed.join("; ")}`);
  process.exit(1);
}
console.log("cluster run: every invariant held");
