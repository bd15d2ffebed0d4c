/**
 * Rotates the access-token signing keys: adds a new key that signs from now on and retires the
 * current one, which stays published until every token it signed has expired.
 *
 *   npm run keys:rotate                      dev: rotates .data/signing-keys.json in place; a running
 *                                            API picks it up within a few seconds, no restart
 *   npm run keys:rotate -- --file <path>     rotates that key file in place
 *   npm run keys:rotate --silent -- --stdin  reads a key set (SESAME_SIGNING_KEYS) on stdin and
 *                                            prints the rotated set on stdout, for the secret store
 *
 * With SESAME_SIGNING_KEYS set and no option, the rotated set is printed (the variable is not
 * changed; deploy the printed value). Messages go to stderr so stdout carries only the JSON.
 * The new key's algorithm is SESAME_SIGNING_ALG (EdDSA by default, or ES256); rotating to another
 * algorithm keeps the old key published, so tokens it signed stay valid until they expire.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "@sesame/service-kit";
import { resolveApiConfig } from "../config.ts";
import { readApiEnv, readSigningAlgorithm } from "../env.ts";
import { RETIRED_KEY_PUBLISH_SECONDS, parseKeySet, readOrCreateKeyFile, rotateKeySet, writeKeyFile, type StoredKeySet } from "../lib/signing-keys.ts";

type Target = { kind: "file"; path: string } | { kind: "print"; set: StoredKeySet; from: string };

function usage(): never {
  process.stderr.write("usage: keys:rotate [--file <path> | --stdin]\n");
  process.exit(2);
}

async function resolveTarget(args: string[], now: Date): Promise<Target> {
  if (args[0] === "--stdin") {
    if (args.length !== 1) usage();
    return { kind: "print", set: parseKeySet(readFileSync(0, "utf8")), from: "stdin" };
  }
  if (args[0] === "--file") {
    const path = args[1];
    if (!path || args.length !== 2) usage();
    return { kind: "file", path };
  }
  if (args.length > 0) usage();
  const config = resolveApiConfig(readApiEnv());
  if (config.signingKeys.kind === "inline") return { kind: "print", set: parseKeySet(config.signingKeys.json), from: "SESAME_SIGNING_KEYS" };
  if (config.signingKeys.kind === "file") {
    await readOrCreateKeyFile(config.signingKeys.path, now, config.signingAlgorithm);
    return { kind: "file", path: config.signingKeys.path };
  }
  throw new Error("in-memory signing keys cannot be rotated");
}

function describe(set: StoredKeySet): string {
  return set.keys.map((k) => `  ${k.kid}  ${String(k.publicJwk.alg ?? "EdDSA")}  ${k.retiredAt ? `retired ${k.retiredAt}` : "active"}`).join("\n");
}

async function main() {
  const now = new Date();
  const target = await resolveTarget(process.argv.slice(2), now);
  const before = target.kind === "file" ? parseKeySet(readFileSync(target.path, "utf8")) : target.set;
  const after = await rotateKeySet(before, now, readSigningAlgorithm());
  const retention = `retired keys stay published for ${RETIRED_KEY_PUBLISH_SECONDS} s`;
  if (target.kind === "file") {
    writeKeyFile(target.path, after);
    process.stderr.write(`Rotated ${target.path} (${retention}):\n${describe(after)}\n`);
    return;
  }
  process.stderr.write(`Rotated the key set from ${target.from} (${retention}):\n${describe(after)}\nDeploy the JSON below as SESAME_SIGNING_KEYS.\n`);
  process.stdout.write(`${JSON.stringify(after)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `keys:rotate failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
