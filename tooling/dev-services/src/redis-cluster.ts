/**
 * A local Redis Cluster for tests: N masters (no replicas) from the machine's `redis-server`, each
 * on free ports (client port and cluster-bus port both chosen, so nothing collides with the
 * fixed dev ports), joined by `redis-cli --cluster create`. Nothing is persisted; a restarted
 * master comes back empty with its slots (its node file stays in the run's temporary directory).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedPort } from "./dead-servers.ts";
import { waitForTcp } from "./wait.ts";

export interface RedisClusterNode {
  host: string;
  port: number;
}

export interface LocalRedisCluster {
  nodes: RedisClusterNode[];
  /** `host:port,host:port,…`: the value of `REDIS_CLUSTER_NODES`. */
  nodesEnv: string;
  /** Kills master `index` as a crash would (SIGKILL), waits `downMs`, starts it again (empty). */
  restartNode(index: number, downMs: number): Promise<void>;
  /** `redis-cli` against node `index` (for CLUSTER INFO, SCAN, …); stdout. */
  cli(index: number, ...args: string[]): string;
  stop(): Promise<void>;
}

/** Whether `redis-server` and `redis-cli` are on the PATH (Debian's `redis-server` package). */
export function redisClusterAvailable(): boolean {
  return (
    spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0 && spawnSync("redis-cli", ["--version"], { stdio: "ignore" }).status === 0
  );
}

/**
 * @example
 * const cluster = await startRedisCluster();
 * process.env.REDIS_CLUSTER_NODES = cluster.nodesEnv;
 * await cluster.stop();
 */
export async function startRedisCluster({ masters = 3, nodeTimeoutMs = 1_000 }: { masters?: number; nodeTimeoutMs?: number } = {}): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), "sesame-redis-cluster-"));
  const ports: { port: number; busPort: number }[] = [];
  for (let i = 0; i < masters; i++) ports.push({ port: await closedPort(), busPort: await closedPort() });
  const children: (ChildProcess | null)[] = ports.map(() => null);

  const spawnNode = async (index: number) => {
    const { port, busPort } = ports[index]!;
    // argv, never a shell: `--save ""` is a real empty argument.
    const child = spawn(
      "redis-server",
      [
        "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-port", String(busPort),
        "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", String(nodeTimeoutMs),
        // One lost master must not take the other masters' slots down with it (no replicas here).
        "--cluster-require-full-coverage", "no",
        "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
      ],
      { stdio: "ignore" },
    );
    children[index] = child;
    await waitForTcp("127.0.0.1", port, 10_000);
  };
  const killNode = (index: number) =>
    new Promise<void>((resolve) => {
      const child = children[index];
      children[index] = null;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  const killAll = () => {
    for (const child of children) child?.kill("SIGKILL");
  };
  // A test process that dies must not leave servers behind.
  process.once("exit", killAll);

  const cli = (index: number, ...args: string[]) => {
    const result = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(ports[index]!.port), ...args], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${result.stderr || result.stdout}`);
    return result.stdout;
  };
  const waitUntilOk = async (index: number, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!/cluster_state:ok/.test(cli(index, "cluster", "info"))) {
      if (Date.now() > deadline) throw new Error(`redis cluster node ${ports[index]!.port} not ok after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  try {
    for (let i = 0; i < masters; i++) await spawnNode(i);
    const created = spawnSync(
      "redis-cli",
      ["--cluster", "create", ...ports.map(({ port }) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"],
      { encoding: "utf8" },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (let i = 0; i < masters; i++) await waitUntilOk(i);
  } catch (error) {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const nodes = ports.map(({ port }) => ({ host: "127.0.0.1", port }));
  return {
    nodes,
    nodesEnv: nodes.map(({ host, port }) => `${host}:${port}`).join(","),
    async restartNode(index, downMs) {
      await killNode(index);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await spawnNode(index);
      await waitUntilOk(index);
    },
    cli,
    async stop() {
      process.off("exit", killAll);
      await Promise.all(ports.map((_, i) => killNode(i)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
