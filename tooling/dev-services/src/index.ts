export { createUpstashShim, type UpstashShimOptions } from "./upstash-shim.ts";
export { startUpstashShim, type StartUpstashShimOptions, type UpstashShimHandle } from "./start-upstash-shim.ts";
export {
  EMBEDDED_POSTGRES_USER,
  embeddedPostgresUrl,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from "./embedded-postgres.ts";
export { findRepoRoot, loadDevSecrets, type DevSecrets } from "./dev-secrets.ts";
export { DEV_PORTS } from "./dev-ports.ts";
export { waitForHttp, waitForTcp } from "./wait.ts";
export { closedPort, onFreePort, startCuttableRelay, startSilentServer, type CuttableRelay, type SilentServer } from "./dead-servers.ts";
export { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from "./recording-upstream.ts";
export { redisClusterAvailable, startRedisCluster, type LocalRedisCluster, type RedisClusterNode } from "./redis-cluster.ts";
export { provideBackends, startTestBackends, type TestBackends } from "./test-backends.ts";
export type { SesameBackends } from "./vitest-provide.ts";
export { medianBy } from "./median.ts";
export { processTreeCpuMs, processesNamedCpuMs } from "./process-cpu.ts";
