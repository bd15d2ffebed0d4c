/**
 * Development secrets, generated once per clone and kept in `<root>/.data/dev-secrets.json`.
 *
 * The API, the edge and dev-services all call `loadDevSecrets` at startup, at the same moment, so
 * the file is created race-free: each writes a complete temporary file, then hard-links it into
 * place. link() is atomic and fails with EEXIST when the file is already there, so exactly one
 * process wins, nobody reads a half-written file, and the losers read the winner's secrets.
 * Synchronous on purpose: configuration is resolved synchronously at startup.
 */
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface DevSecrets {
  /** `SESAME_ROOT_KEY`: `sesame_root_` + 32 random bytes, base64url. */
  rootKey: string;
  /** `UPSTASH_REDIS_REST_TOKEN` of the local cache endpoint. */
  cacheToken: string;
  /** `SESAME_INTROSPECTION_SECRET`: the edge's credential for the API's internal calls. */
  introspectionSecret: string;
  /** `SESAME_ENCRYPTION_KEY`: 32 random bytes, base64. */
  encryptionKey: string;
  /**
   * Password of the embedded Postgres (user `postgres`): 24 random bytes, base64url. A file written
   * before this field existed is not rewritten (the API, the edge and dev-services read it at the
   * same moment and could race); for it the password is derived from its root key instead.
   */
  postgresPassword: string;
}

/** The fields every file has; `postgresPassword` came later (see DevSecrets). */
const FIELDS = ["rootKey", "cacheToken", "introspectionSecret", "encryptionKey"] as const;

/** The monorepo root: the nearest directory, from `start` up, whose package.json has `workspaces`. */
export function findRepoRoot(start: string = process.cwd()): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && "workspaces" in (JSON.parse(readFileSync(manifest, "utf8")) as object)) return dir;
    if (dirname(dir) === dir) throw new Error(`findRepoRoot: no package.json with "workspaces" above ${start}`);
  }
}

/** Reads `<root>/.data/dev-secrets.json`, creating it (mode 0600) on first use. */
export function loadDevSecrets(root: string): DevSecrets {
  const file = join(root, ".data", "dev-secrets.json");
  const existing = readDevSecrets(file);
  if (existing) return existing;

  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(generateDevSecrets(), null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    chmodSync(temporary, 0o600); // whatever the umask
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  const created = readDevSecrets(file);
  if (!created) throw new Error(`loadDevSecrets: ${file} vanished while being created`);
  return created;
}

function generateDevSecrets(): DevSecrets {
  return {
    rootKey: `sesame_root_${randomBytes(32).toString("base64url")}`,
    cacheToken: randomBytes(32).toString("base64url"),
    introspectionSecret: randomBytes(32).toString("base64url"),
    encryptionKey: randomBytes(32).toString("base64"),
    postgresPassword: randomBytes(24).toString("base64url"),
  };
}

function readDevSecrets(file: string): DevSecrets | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const parsed = safeParse(text);
  if (!FIELDS.every((field) => typeof parsed?.[field] === "string" && parsed[field] !== "")) {
    throw new Error(`loadDevSecrets: ${file} is not valid; delete it to generate new development secrets`);
  }
  const secrets = Object.fromEntries(FIELDS.map((field) => [field, parsed?.[field]])) as Omit<DevSecrets, "postgresPassword">;
  const stored = parsed?.postgresPassword;
  const postgresPassword =
    typeof stored === "string" && stored !== "" ? stored : createHmac("sha256", secrets.rootKey).update("sesame dev postgres password").digest("base64url");
  return { ...secrets, postgresPassword };
}

function safeParse(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
