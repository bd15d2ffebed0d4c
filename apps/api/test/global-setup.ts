/** Starts the storage backends once per run (real servers when configured, embedded otherwise). */
import { provideBackends, startTestBackends } from "@sesame/dev-services";
import type { TestProject } from "vitest/node";
import { runMigrations } from "../src/db/migrate.ts";

export default async function setup(project: TestProject) {
  const backends = await startTestBackends();
  await runMigrations(backends.databaseUrl);
  provideBackends(project, backends);
  return () => backends.stop();
}
