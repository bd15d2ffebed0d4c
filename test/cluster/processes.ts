/**
 * Real Sesame processes for the cluster run: the API (`apps/api/src/main.ts`) and the Node edge
 * (`apps/edge/src/node.ts`) started as separate Node processes with an environment of their own,
 * on ephemeral ports (PORT=0), each read back from the process's "listening on" line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

export interface SesameProcess {
  name: string;
  url: string;
  pid: number;
  /** Every line the process wrote to stdout and stderr so far. */
  lines: string[];
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export function startApiProcess(name: string, env: Record<string, string>): Promise<SesameProcess> {
  return startProcess(name, join(ROOT, "apps/api/src/main.ts"), env);
}

export function startEdgeProcess(name: string, env: Record<string, string>): Promise<SesameProcess> {
  return startProcess(name, join(ROOT, "apps/edge/src/node.ts"), env);
}

async function startProcess(name: string, entry: string, env: Record<string, string>): Promise<SesameProcess> {
  // Only what the process needs: nothing of this shell's DATABASE_URL/REDIS_URL leaks in.
  // @sesame/source: the workspace packages from their sources, as every script in the repo reads them.
  const child: ChildProcess = spawn(TSX, ["--conditions=@sesame/source", entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 90 s:\n${lines.slice(-20).join("\n")}`)), 90_000);
    // Per stream: a chunk may end in the middle of a line.
    const reader = () => {
      let rest = "";
      return (chunk: Buffer) => {
        const parts = (rest + chunk.toString("utf8")).split("\n");
        rest = parts.pop()!;
        onLines(parts);
      };
    };
    const onLines = (parts: string[]) => {
      for (const line of parts) {
        if (!line) continue;
        lines.push(line);
        const listening = /listening on (http:\/\/[^\s"]+)/.exec(line);
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]!);
        }
      }
    };
    child.stdout!.on("data", reader());
    child.stderr!.on("data", reader());
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${lines.slice(-20).join("\n")}`));
    });
  });
  return {
    name,
    url,
    pid: child.pid!,
    lines,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off("exit", killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(force);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** The JSON log lines (pino) of a process, parsed; other lines are left out. */
export function jsonLines(lines: string[]): Record<string, unknown>[] {
  const parsed: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      parsed.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line: not a log record
    }
  }
  return parsed;
}
