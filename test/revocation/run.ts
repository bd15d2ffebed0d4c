/**
 * `npm run test:revocation`: every scenario at full size, against the configured backends
 * (real Postgres/Redis with DATABASE_URL/REDIS_URL, embedded otherwise). Prints a table and exits
 * non-zero if any request was accepted after its receipt's effectiveAt (or after the lease when
 * effectiveAt was null), or if any session never revoked got a 401.
 *
 * Sizes: REVOCATION_SESSIONS (300), REVOCATION_SECONDS per scenario (20), REVOCATION_CONCURRENCY (32).
 */
import { startTestBackends } from "@sesame/dev-services";
import { runMigrations } from "@sesame/api";
import { SCENARIOS, runScenario, type ScenarioResult } from "./scenario.ts";

const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
};

const backends = await startTestBackends();
const results: ScenarioResult[] = [];
try {
  await runMigrations(backends.databaseUrl);
  for (const name of SCENARIOS) {
    results.push(
      await runScenario({
        name,
        backends,
        sessions: num("REVOCATION_SESSIONS", 300),
        durationMs: num("REVOCATION_SECONDS", 20) * 1000,
        concurrency: num("REVOCATION_CONCURRENCY", 32),
        revokeFraction: 0.5,
        leaseSeconds: 5,
        faultMs: 3_000,
        log: (line) => console.log(`  ${line}`),
      }),
    );
  }
} finally {
  await backends.stop();
}

console.table(
  results.map((r) => ({
    scenario: r.scenario,
    requests: r.requests,
    "200": r.accepted,
    "401": r.rejected401,
    "503": r.unavailable503,
    other: r.otherStatus + r.forbidden403,
    receipts: r.receipts,
    "effectiveAt null": r.receiptsPending,
    "accepted after effectiveAt": r.acceptedAfterEffective,
    "accepted after lease": r.acceptedAfterLease,
    "wrongful 401": r.wrongful401,
    "revoke errors": r.revocationErrors,
  })),
);
const bad = results.filter((r) => r.acceptedAfterEffective > 0 || r.acceptedAfterLease > 0 || r.wrongful401 > 0);
if (bad.length > 0) {
  console.error(`revocation invariant broken in: ${bad.map((r) => r.scenario).join(", ")}`);
  process.exit(1);
}
console.log("revocation invariant held in every scenario");
