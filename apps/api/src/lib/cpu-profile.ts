/**
 * `SESAME_CPU_PROF=<dir>`: the process records a V8 CPU profile from start to shutdown and writes
 * it to `<dir>/sesame-api-<pid>-<time>.cpuprofile` (open it in Chrome DevTools › Performance, or
 * speedscope). The inspector's profiler, not `--cpu-prof`, so it works however the process is
 * started (tsx, npm start, a container) and costs nothing when the variable is unset.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

export interface CpuProfiler {
  /** Stops recording and writes the profile; returns its path. */
  stop(): Promise<string>;
}

export async function startCpuProfile(dir: string): Promise<CpuProfiler> {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      const path = join(dir, `sesame-api-${process.pid}-${Date.now()}.cpuprofile`);
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
      return path;
    },
  };
}
