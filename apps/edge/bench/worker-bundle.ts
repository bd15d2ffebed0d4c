/**
 * `npm run bench:worker-bundle`: builds the Workers entry exactly as a deploy would
 * (`wrangler deploy --dry-run` with wrangler.toml, nothing uploaded) and prints its size, raw and
 * gzipped, the largest parts, and the ratio to the 500 KiB budget. Exits 1 over the budget, so CI
 * notices a dependency that brings classic zod (or anything as large) back onto the Workers path.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 500 * 1024;
/** wrangler's default conditions (workerd, worker, browser) after the workspace source condition. */
const WORKER_CONDITIONS = "@sesame/source,workerd,worker,browser";
const edgeDir = fileURLToPath(new URL("..", import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), "sesame-worker-bundle-"));
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

try {
  // Run through npm, so node_modules/.bin (the root's, where wrangler is hoisted) is on PATH.
  await promisify(execFile)("wrangler", ["deploy", "--dry-run", "--outdir", outdir, "--metafile", join(outdir, "meta.json")], {
    cwd: edgeDir,
    // The workspace packages from source (as worker.test.ts bundles them), so no dist is needed.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", WRANGLER_BUILD_CONDITIONS: WORKER_CONDITIONS },
  });
  const bundle = readFileSync(join(outdir, "worker.js"));
  const gzip = gzipSync(bundle, { level: 9 }).length;
  const meta = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8")) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  const output = Object.entries(meta.outputs).find(([file]) => file.endsWith("worker.js"))![1];
  const parts = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const part = inPackage ?? (file.includes("packages/") ? `@sesame/${file.split("packages/")[1]!.split("/")[0]}` : "@sesame/edge");
    parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
  }
  console.log("Workers bundle (wrangler deploy --dry-run, minified as deployed):");
  console.log(`  raw   ${kib(bundle.length)}  (${((bundle.length / BUDGET_BYTES) * 100).toFixed(0)} % of the ${kib(BUDGET_BYTES)} budget)`);
  console.log(`  gzip  ${kib(gzip)}`);
  console.log("  largest parts (minified bytes in the bundle):");
  for (const [part, bytes] of [...parts].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${kib(bytes).padStart(10)}  ${part}`);
  if (bundle.length > BUDGET_BYTES) {
    console.error(`The Workers bundle is ${kib(bundle.length)}, over the ${kib(BUDGET_BYTES)} budget: see the largest parts above.`);
    process.exitCode = 1;
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
