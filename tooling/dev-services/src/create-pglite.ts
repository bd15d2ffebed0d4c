/**
 * Creates PGlite, seeding a new cluster from a cached snapshot of a freshly initialised one:
 * initdb takes seconds, loading its dump a fraction of that, and tests start one per run. The
 * snapshot lives in the OS temp dir, keyed by the installed PGlite build, rebuilt when unusable.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { PGlite } from "@electric-sql/pglite";

/** `dataDir` absent = in memory; an existing cluster there is opened as it is. */
export async function createPGlite(dataDir?: string): Promise<PGlite> {
  if (dataDir && existsSync(join(dataDir, "PG_VERSION"))) return PGlite.create(dataDir);
  // Only ever seed (or, after a failed seed, wipe) a directory that holds nothing yet.
  const seedable = !dataDir || !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  const file = snapshotPath();
  const snapshot = seedable ? readSnapshot(file) : null;
  if (snapshot) {
    try {
      return await PGlite.create(dataDir, { loadDataDir: snapshot });
    } catch {
      rmSync(file, { force: true }); // unusable: start from scratch and rebuild it below
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  if (seedable) await saveSnapshot(db, file);
  return db;
}

async function saveSnapshot(db: PGlite, file: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir("gzip");
    // Write then rename, so a concurrent reader never loads half a snapshot.
    const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    writeFileSync(temporary, new Uint8Array(await dump.arrayBuffer()));
    renameSync(temporary, file);
  } catch {
    // Only a cache: without it the next start is slower, nothing worse.
  }
}

function snapshotPath(): string {
  // Size and mtime of the installed build change whenever PGlite is upgraded or reinstalled.
  // createRequire, not import.meta.resolve: vitest's module runner does not support the latter.
  const build = statSync(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  const key = createHash("sha1").update(`${build.size}:${build.mtimeMs}`).digest("hex").slice(0, 12);
  return join(tmpdir(), `sesame-pglite-snapshot-${key}.tar.gz`);
}

function readSnapshot(file: string): Blob | null {
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    return null;
  }
}
