/**
 * Rotates the access-token signing keys: adds a new key that signs from now on and retires the
 * current one, which stays published until every token it signed has expired. An empty set (empty
 * input, `{"keys":[]}`, a file not there yet) gets its first key.
 *
 *   npm run keys:rotate                      dev: rotates .data/signing-keys.json in place; a running
 *                                            API picks it up within a few seconds, no restart
 *   npm run keys:rotate -- --file <path>     rotates that key file in place (creating it)
 *   npm run keys:rotate --silent -- --stdin  reads a key set (SESAME_SIGNING_KEYS) on stdin and
 *                                            prints the rotated set on stdout, for the secret store
 *
 * With SESAME_SIGNING_KEYS set and no option, the rotated set is printed (the variable is not
 * changed; deploy the printed value). Messages go to stderr so stdout carries only the JSON.
 * The new key's algorithm is SESAME_SIGNING_ALG (EdDSA by default, or ES256); rotating to another
 * algorithm keeps the old key published, so tokens it signed stay valid until they expire.
 */
import { loadDevDefaults, resolveApiConfig } from "../config.ts";
import { resolve } from "node:path";
import { invocationDir, readApiEnv, readSigningAlgorithm } from "../env.ts";
import { RETIRED_KEY_PUBLISH_SECONDS, parseEditableKeySet, rotateKeySet, writeKeyFile, type StoredKeySet } from "../lib/signing-keys.ts";
import { describeKeySet, readKeyFileOrEmpty, readKeySetFromStdin, runKeyTool, usage } from "./key-file.ts";

type Target = { kind: "file"; path: string } | { kind: "print"; set: StoredKeySet; from: string };

const USAGE = "keys:rotate [--file <path> | --stdin]";

async function resolveTarget(args: string[]): Promise<Target> {
  if (args[0] === "--stdin") {
    if (args.length !== 1) usage(USAGE);
    return { kind: "print", set: readKeySetFromStdin(), from: "stdin" };
  }
  if (args[0] === "--file") {
    const path = args[1];
    if (!path || args.length !== 2) usage(USAGE);
    return { kind: "file", path: resolve(invocationDir(), path) };
  }
  if (args.length > 0) usage(USAGE);
  const env = readApiEnv();
  const config = resolveApiConfig(env, await loadDevDefaults(env));
  if (config.signingKeys.kind === "inline") return { kind: "print", set: parseEditableKeySet(config.signingKeys.json, "SESAME_SIGNING_KEYS"), from: "SESAME_SIGNING_KEYS" };
  if (config.signingKeys.kind === "file") return { kind: "file", path: config.signingKeys.path };
  throw new Error("in-memory signing keys cannot be rotated");
}

runKeyTool("keys:rotate", async () => {
  const now = new Date();
  const target = await resolveTarget(process.argv.slice(2));
  const before = target.kind === "file" ? readKeyFileOrEmpty(target.path) : target.set;
  const after = await rotateKeySet(before, now, readSigningAlgorithm());
  const retention = `retired keys stay published for ${RETIRED_KEY_PUBLISH_SECONDS} s`;
  if (target.kind === "file") {
    writeKeyFile(target.path, after);
    process.stderr.write(`Rotated ${target.path} (${retention}):\n${describeKeySet(after)}\n`);
    return;
  }
  process.stderr.write(`Rotated the key set from ${target.from} (${retention}):\n${describeKeySet(after)}\nDeploy the JSON below as SESAME_SIGNING_KEYS.\n`);
  process.stdout.write(`${JSON.stringify(after)}\n`);
});
