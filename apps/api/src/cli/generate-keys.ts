/**
 * Creates the first access-token signing-key set (one fresh key) for a new deployment. The key's
 * algorithm is SESAME_SIGNING_ALG (EdDSA by default, or ES256).
 *
 *   npm run keys:generate --silent                  prints the set on stdout: deploy it as SESAME_SIGNING_KEYS
 *   npm run keys:generate -- --file <path>          writes it to <path> (created; an empty file or
 *                                                   {"keys":[]} is filled); a file that already holds
 *                                                   keys is left alone: rotate those with keys:rotate
 *
 * Built for production as `node apps/api/bundle/generate-keys.js` (no tsx needed).
 */
import { resolve } from "node:path";
import { invocationDir, readSigningAlgorithm } from "../env.ts";
import { generateStoredKey, writeKeyFile, type StoredKeySet } from "../lib/signing-keys.ts";
import { describeKeySet, readKeyFileOrEmpty, runKeyTool, usage } from "./key-file.ts";

const USAGE = "keys:generate [--file <path>]";

runKeyTool("keys:generate", async () => {
  const args = process.argv.slice(2);
  const now = new Date();
  if (args.length === 0) {
    const set: StoredKeySet = { keys: [await generateStoredKey(now, readSigningAlgorithm())] };
    process.stderr.write(`New signing-key set:\n${describeKeySet(set)}\nDeploy the JSON below as SESAME_SIGNING_KEYS (a secret: it holds the private key).\n`);
    process.stdout.write(`${JSON.stringify(set)}\n`);
    return;
  }
  if (args[0] !== "--file" || !args[1] || args.length !== 2) usage(USAGE);
  const path = resolve(invocationDir(), args[1]);
  const existing = readKeyFileOrEmpty(path);
  if (existing.keys.length > 0) {
    throw new Error(`${path} already holds ${existing.keys.length} key(s); rotate them with \`npm run keys:rotate -w @sesame/api -- --file ${path}\``);
  }
  const set: StoredKeySet = { keys: [await generateStoredKey(now, readSigningAlgorithm())] };
  writeKeyFile(path, set);
  process.stderr.write(`Wrote a new signing-key set to ${path}:\n${describeKeySet(set)}\n`);
});
