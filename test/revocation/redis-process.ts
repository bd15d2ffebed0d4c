/**
 * A private redis-server for the "Redis stopped and started" scenario, so stopping it does not
 * touch the machine's shared Redis. Used when real Redis is configured and `redis-server` is on the
 * PATH; otherwise the scenario stops the in-memory cache endpoint instead.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { onFreePort } from "@sesame/dev-services";

export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Starts redis-server on `port` (a restart), or on a free one. It is up once it says it accepts
 * connections: an answer on the port before that could come from another process that took it.
 */
export function startRedisProcess(port?: number) {
  return port === undefined ? onFreePort(startOn, (error) => String(error).includes("Address already in use")) : startOn(port);
}

async function startOn(chosen: number) {
  const child: ChildProcess = spawn("redis-server", ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "ignore"] });
  let output = "";
  const ready = new Promise<boolean>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve(true);
    });
    child.once("exit", () => resolve(false));
  });
  const timeout = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const started = await ready;
  clearTimeout(timeout);
  if (!started) throw new Error(`redis-server did not start on port ${chosen}: ${output.trim().split("\n").slice(-3).join(" | ")}`);
  // Keep reading (and dropping) its log, or a full pipe would stall it.
  child.stdout!.removeAllListeners("data").resume();
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
