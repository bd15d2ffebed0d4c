/**
 * `npm run bench:edge`: what the edge check costs per request. Each row's server runs in its own
 * process (tsx), its dependencies in another, and autocannon here: 50 connections, 2,000 warm-up requests,
 * then a measured run per row. Bounded: about a minute in all.
 *
 * Env: REDIS_URL (default redis://127.0.0.1:6379), DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_SECONDS (default 4), BENCH_CONNECTIONS (default 50), BENCH_ROWS (comma-separated row ids; default all),
 * BENCH_ROUNDS (default 3: every row, baselines included, measured that many times in turn; each row
 * prints the round where its ratio to its baseline was the median, and every round's ratio),
 * BENCH_PROFILE (a directory for V8 CPU profiles of the measured servers).
 *
 * Besides req/s, each row reports the CPU its server spent per request (the server process and its
 * children, e.g. nginx beside the edge; read from /proc): on a shared, busy machine throughput swings
 * with the neighbours, while CPU per request barely moves, so its ratio to the floor is the steadier
 * figure of what a row costs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { withDeadline } from "@sesame/cache";
import { medianBy, processTreeCpuMs } from "@sesame/dev-services";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP_REQUESTS = 2_000;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface Row {
  id: string;
  label: string;
  baseline: string | null;
  path: string;
  authenticated: boolean;
}
const ROWS: Row[] = [
  { id: "bare", label: "bare Hono (baseline)", baseline: null, path: "/", authenticated: false },
  { id: "jose", label: "jose verify per request, no token cache", baseline: "bare", path: "/", authenticated: true },
  { id: "edge-tcp-unseen", label: "sessionAuth, warm, TCP store, no seen marks", baseline: "bare", path: "/", authenticated: true },
  { id: "edge-tcp", label: "sessionAuth, warm token cache, TCP store (ioredis)", baseline: "bare", path: "/", authenticated: true },
  { id: "bare-upstash", label: "bare Hono + one cache read (Upstash store), nothing else", baseline: "bare", path: "/", authenticated: true },
  { id: "edge-upstash", label: "sessionAuth, warm token cache, Upstash store, undici pool (shim → Redis)", baseline: "bare", path: "/", authenticated: true },
  { id: "edge-upstash-fetch", label: "sessionAuth, warm token cache, Upstash store, fetch (workerd's client)", baseline: "bare", path: "/", authenticated: true },
  { id: "postgres", label: "Postgres lookup per request (postgres.js)", baseline: "bare", path: "/", authenticated: false },
  { id: "proxy-undici", label: "bare undici proxy, node:http (proxy floor)", baseline: null, path: "/items", authenticated: false },
  { id: "proxy-undici-cache", label: "bare undici proxy + one cache read (TCP store), nothing else", baseline: "proxy-undici", path: "/items", authenticated: true },
  { id: "proxy-edge", label: "edge service: check + proxy (undici pool), TCP store", baseline: "proxy-undici", path: "/items", authenticated: true },
  { id: "proxy-hono-fetch", label: "Hono proxy() over fetch, no check", baseline: "proxy-undici", path: "/items", authenticated: false },
  { id: "proxy-edge-fetch", label: "edge service: check + proxy over fetch (workerd path)", baseline: "proxy-undici", path: "/items", authenticated: true },
  { id: "nginx-proxy", label: "nginx proxying alone, 1 worker (forward-auth floor)", baseline: null, path: "/items", authenticated: false },
  { id: "nginx-auth", label: "nginx auth_request → edge /_sesame/auth, TCP store", baseline: "nginx-proxy", path: "/items", authenticated: true },
];

/** Spawns a tsx process and resolves with the first JSON line it prints that has `ready: true`. */
function startProcess(file: string, env: Record<string, string>): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of each measured server there.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, "--conditions=@sesame/source", "--import", "tsx", file], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const ready = new Promise<{ child: ChildProcess; info: Record<string, unknown> }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      const info = JSON.parse(line) as Record<string, unknown>;
      if (info.ready) resolve({ child, info });
    });
  });
  return withDeadline(ready, 30_000, () => new Error(`${file} did not become ready in 30 s`));
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

interface Measured {
  row: Row;
  rps: number;
  /** Server CPU per request, microseconds. */
  cpuUs: number;
  p50: number;
  p99: number;
  failures: number;
  /** What the failures were, e.g. "2 non-2xx (502×2), 1 error". */
  failureKinds: string;
}

async function measure(row: Row, services: Record<string, unknown>): Promise<Measured> {
  const { child, info } = await startProcess(here("./bench-server.ts"), { BENCH_ROW: row.id, BENCH_SERVICES: JSON.stringify(services) });
  try {
    const options = {
      url: `${info.url as string}${row.path}`,
      connections: CONNECTIONS,
      headers: (row.authenticated ? { authorization: `Bearer ${services.token as string}` } : {}) as Record<string, string>,
    };
    // Warm-up by count, not time: on a busy machine a second is too few requests for the JIT.
    await autocannon({ ...options, amount: WARMUP_REQUESTS });
    const cpuBefore = processTreeCpuMs(child.pid!);
    const result = await autocannon({ ...options, duration: SECONDS });
    const cpuUs = ((processTreeCpuMs(child.pid!) - cpuBefore) * 1000) / Math.max(1, result.requests.total);
    const statuses = Object.entries(result.statusCodeStats ?? {})
      .filter(([status]) => !status.startsWith("2"))
      .map(([status, { count }]) => `${status}×${count}`);
    const failureKinds = [
      result.non2xx ? `${result.non2xx} non-2xx${statuses.length ? ` (${statuses.join(", ")})` : ""}` : "",
      result.errors ? `${result.errors} errors` : "",
      result.timeouts ? `${result.timeouts} timeouts` : "",
    ]
      .filter(Boolean)
      .join(", ");
    return { row, rps: result.requests.average, cpuUs, p50: result.latency.p50, p99: result.latency.p99, failures: result.non2xx + result.errors + result.timeouts, failureKinds };
  } finally {
    await stop(child);
  }
}

const only = process.env.BENCH_ROWS?.split(",").filter(Boolean);
const selected = only ? ROWS.filter((row) => only.includes(row.id) || (row.baseline === null && ROWS.some((r) => only.includes(r.id) && r.baseline === row.id))) : ROWS;

const { child: servicesProcess, info: services } = await startProcess(here("./bench-services.ts"), {});
/** Every round's measurement of every row, by row id. */
const rounds: Map<string, Measured>[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const measured = new Map<string, Measured>();
    for (const row of selected) {
      process.stderr.write(`measuring ${row.id} (round ${round} of ${ROUNDS})…\n`);
      measured.set(row.id, await measure(row, services));
    }
    rounds.push(measured);
  }
} finally {
  await stop(servicesProcess);
}

/** The median over rounds of a figure of one round (a row's ratio to another row of the same round). */
const medianOf = (of: (round: Map<string, Measured>) => number) => of(medianBy(rounds, of));
/** Per row: the round where its ratio to its baseline (for a baseline, its req/s) was the median. */
const results = selected.map((row) => {
  const ratioIn = (round: Map<string, Measured>) => round.get(row.id)!.rps / (row.baseline ? round.get(row.baseline)!.rps : 1);
  const chosen = medianBy(rounds, ratioIn);
  // Failures of every round, not only the one printed.
  const failures = rounds.map((round, i) => ({ round: i + 1, measured: round.get(row.id)! })).filter(({ measured }) => measured.failures > 0);
  return {
    ...chosen.get(row.id)!,
    base: row.baseline ? chosen.get(row.baseline) : undefined,
    ratios: row.baseline ? rounds.map(ratioIn) : [],
    failureKinds: failures.map(({ round, measured }) => `round ${round}: ${measured.failureKinds}`).join("; "),
  };
});

const pad = (text: string, width: number) => text.padEnd(width);
console.log(`\nedge bench: ${CONNECTIONS} connections, ${SECONDS} s per row (after ${WARMUP_REQUESTS} warm-up requests), ${ROUNDS} round(s) (the median printed), Node ${process.version}\n`);
console.log(`${pad("row", 72)}${pad("req/s", 9)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}${pad("vs baseline", 22)}${pad("CPU µs/req", 12)}${pad("vs baseline (CPU)", 19)}${pad("failures", 10)}vs baseline, every round`);
for (const { row, rps, cpuUs, p50, p99, failureKinds, base, ratios } of results) {
  const ratio = base ? `${(rps / base.rps).toFixed(2)}× ${row.baseline}` : "—";
  // The baseline's CPU per request over this row's: how much of the floor's capacity this row keeps.
  const cpuRatio = base ? `${(base.cpuUs / cpuUs).toFixed(2)}×` : "—";
  console.log(
    `${pad(row.label, 72)}${pad(rps.toFixed(0), 9)}${pad(String(p50), 8)}${pad(String(p99), 8)}${pad(ratio, 22)}${pad(cpuUs.toFixed(0), 12)}${pad(cpuRatio, 19)}${pad(failureKinds || "0", 10)}${ratios.map((r) => r.toFixed(2)).join(" ")}`,
  );
}
const measuredRows = new Set(selected.map((row) => row.id));
if (measuredRows.has("edge-tcp") && measuredRows.has("edge-tcp-unseen")) {
  const rps = medianOf((round) => round.get("edge-tcp")!.rps / round.get("edge-tcp-unseen")!.rps);
  const cpu = medianOf((round) => round.get("edge-tcp")!.cpuUs / round.get("edge-tcp-unseen")!.cpuUs);
  console.log(`\nseen marks (once a minute per session), median of the rounds: the warm TCP row at ${rps.toFixed(2)}× its throughput without them, ${cpu.toFixed(2)}× the CPU per request`);
}
if (measuredRows.has("edge-tcp") && measuredRows.has("edge-upstash")) {
  console.log(`\nTCP store vs Upstash store, median of the rounds: ${medianOf((round) => round.get("edge-tcp")!.rps / round.get("edge-upstash")!.rps).toFixed(2)}× the throughput`);
}
if (results.some((result) => result.failureKinds)) {
  console.error("some rows had non-2xx answers or errors in some round: their figures are not comparable");
  process.exitCode = 1;
}
