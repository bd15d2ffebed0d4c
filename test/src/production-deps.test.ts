/**
 * A production install of the API or the Node edge (`npm ci --omit=dev`) must not bring the
 * development services: embedded Postgres (PGlite), the Upstash shim's in-memory Redis
 * (ioredis-mock) or @sesame/dev-services itself. Read from `npm ls --omit=dev`, whose tree also
 * lists optional peer dependencies that happen to be installed (drizzle-orm names PGlite as one);
 * a production install never installs those, so they are left out here.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const DEV_ONLY = ["@sesame/dev-services", "@electric-sql/pglite", "@electric-sql/pglite-socket", "ioredis-mock"];

interface LsNode {
  path?: string;
  dependencies?: Record<string, LsNode>;
}

function optionalPeers(path: string | undefined): Set<string> {
  if (!path) return new Set();
  const manifest = JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as { peerDependenciesMeta?: Record<string, { optional?: boolean }> };
  return new Set(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional).map(([name]) => name));
}

/** Every path from the app to a dev-only package, through dependencies a production install installs. */
function devOnlyPaths(node: LsNode, trail: string[] = []): string[] {
  const skip = optionalPeers(node.path);
  return Object.entries(node.dependencies ?? {}).flatMap(([name, child]) => {
    if (skip.has(name)) return [];
    const here = [...trail, name];
    return DEV_ONLY.includes(name) ? [here.join(" > ")] : devOnlyPaths(child, here);
  });
}

describe("production dependency tree", () => {
  it.each(["apps/api", "apps/edge"])("%s has no development services in `npm ls --omit=dev`", async (app) => {
    const { stdout } = await promisify(execFile)("npm", ["ls", "--omit=dev", "--all", "--json", "--long"], { cwd: join(root, app), maxBuffer: 64 * 1024 * 1024 });
    const tree = JSON.parse(stdout) as LsNode;
    expect(Object.keys(tree.dependencies ?? {}).length).toBeGreaterThan(0);
    expect(devOnlyPaths(tree)).toEqual([]);
  });
});
