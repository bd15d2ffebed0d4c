/** What the key tools share: reading a key set from a file, stdin or the environment, and usage errors. */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "@sesame/service-kit";
import { parseEditableKeySet, type StoredKeySet } from "../lib/signing-keys.ts";

/** A key file's set; an absent or empty file is an empty set. */
export function readKeyFileOrEmpty(path: string): StoredKeySet {
  return existsSync(path) ? parseEditableKeySet(readFileSync(path, "utf8"), path) : { keys: [] };
}

export function readKeySetFromStdin(): StoredKeySet {
  return parseEditableKeySet(readFileSync(0, "utf8"), "stdin");
}

export function describeKeySet(set: StoredKeySet): string {
  return set.keys.map((k) => `  ${k.kid}  ${String(k.publicJwk.alg ?? "EdDSA")}  ${k.retiredAt ? `retired ${k.retiredAt}` : "active"}`).join("\n");
}

/** Runs a key tool: messages on stderr (stdout carries only JSON), one line on failure, exit 1. */
export function runKeyTool(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `${name} failed: ${(error as Error).message}`}\n`);
    process.exit(1);
  });
}

export function usage(text: string): never {
  process.stderr.write(`usage: ${text}\n`);
  process.exit(2);
}
