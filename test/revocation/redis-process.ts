/**
 * A private redis-server for the "Redis stopped and started" scenario, so stopping it does not
 * touch the machine's shared Redis. Used when real Redis is configured and `redis-server` is on the
 * PATH; otherwise the scenario stops the in-memory cache endpoint instead.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closedPort, waitForTcp } from "@sesame/dev-services";

export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

export async function startRedisProcess(port?: number) {
  const chosen = port ?? (await closedPort());
  const child: ChildProcess = spawn("redis-server", ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await waitForTcp("127.0.0.1", chosen, 10_000);
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    /** Stops the server as a crash or restart would: its data (no persistence) is gone. */
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}
