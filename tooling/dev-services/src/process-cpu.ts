/**
 * CPU time of processes, read from Linux's /proc, for the benches: on a shared, busy machine
 * throughput swings with the neighbours, while the CPU a server spends per request barely moves.
 * Elsewhere (no /proc) every figure is 0, which the benches print as "–".
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

let ticksPerSecond: number | undefined;
/** USER_HZ, the unit of /proc's utime and stime (100 on every Linux this runs on). */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcessStat {
  pid: number;
  parent: number;
  name: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readProcesses(): ProcessStat[] {
  const found: ProcessStat[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis;
      // utime and stime are the 14th and 15th fields overall.
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      found.push({ pid: Number(entry), parent: Number(fields[1]), name: stat.slice(stat.indexOf("(") + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return found;
}

const toMs = (ticks: number) => (ticks * 1000) / clockTicksPerSecond();

/** CPU milliseconds (user + system) used so far by a process and all its descendants. */
export function processTreeCpuMs(root: number): number {
  const processes = readProcesses();
  let ticks = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    for (const process of processes) {
      if (process.pid === pid) ticks += process.ticks;
      if (process.parent === pid) pending.push(process.pid);
    }
  }
  return toMs(ticks);
}

/**
 * CPU milliseconds used so far by every process of that name (e.g. "postgres": the server and its
 * backends). Backends that exit between two readings take their time with them, so measure over a
 * window in which the pool's connections stay open.
 */
export function processesNamedCpuMs(name: string): number {
  return toMs(readProcesses().reduce((sum, process) => (process.name === name ? sum + process.ticks : sum), 0));
}
