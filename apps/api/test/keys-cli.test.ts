import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadKeyRing, parseKeySet } from "../src/lib/signing-keys.ts";

// The key tools as `npm run keys:generate` / `keys:rotate` run them (tsx over the source).
const apiDir = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(apiDir, "../../node_modules/.bin/tsx");
const dir = mkdtempSync(join(tmpdir(), "sesame-keys-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(tool: "generate-keys" | "rotate-keys", args: string[], stdin?: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(tsx, ["--conditions=@sesame/source", `src/cli/${tool}.ts`, ...args], { cwd: apiDir, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? "");
  });
}

/** A set the API accepts as SESAME_SIGNING_KEYS: it parses and signs with its one active key. */
async function expectUsableSet(json: string, keys: number) {
  const set = parseKeySet(json);
  expect(set.keys).toHaveLength(keys);
  const ring = await loadKeyRing(set);
  expect(ring.active.kid).toBe(set.keys.at(-1)!.kid);
}

describe("keys:generate", () => {
  it("prints a new signing-key set the API accepts as SESAME_SIGNING_KEYS, and nothing else on stdout", async () => {
    const { code, stdout } = await run("generate-keys", []);
    expect(code).toBe(0);
    await expectUsableSet(stdout, 1);
    expect(stdout.trim().split("\n")).toHaveLength(1);
  });

  it("makes the key of SESAME_SIGNING_ALG: ES256 gives a P-256 key", async () => {
    const { code, stdout } = await run("generate-keys", [], undefined, { SESAME_SIGNING_ALG: "ES256" });
    expect(code).toBe(0);
    await expectUsableSet(stdout, 1);
    expect(parseKeySet(stdout).keys[0]!.publicJwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
  });

  it("--file creates the file when it is absent", async () => {
    const path = join(dir, "absent", "keys.json");
    expect((await run("generate-keys", ["--file", path])).code).toBe(0);
    await expectUsableSet(readFileSync(path, "utf8"), 1);
  });

  it.each([["an empty file", ""], ['{"keys":[]}', '{"keys":[]}']])("--file fills %s", async (_name, content) => {
    const path = join(dir, `fill-${content.length}.json`);
    writeFileSync(path, content);
    expect((await run("generate-keys", ["--file", path])).code).toBe(0);
    await expectUsableSet(readFileSync(path, "utf8"), 1);
  });

  it("--file leaves a file that already holds keys alone and says to rotate", async () => {
    const path = join(dir, "existing.json");
    await run("generate-keys", ["--file", path]);
    const before = readFileSync(path, "utf8");
    const { code, stderr } = await run("generate-keys", ["--file", path]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/already holds 1 key\(s\); rotate them with .*keys:rotate/);
    expect(readFileSync(path, "utf8")).toBe(before);
  });
});

describe("keys:rotate on an empty set", () => {
  it.each([["empty input", ""], ['{"keys":[]}', '{"keys":[]}']])("--stdin with %s prints a set with its first key", async (_name, input) => {
    const { code, stdout } = await run("rotate-keys", ["--stdin"], input);
    expect(code).toBe(0);
    await expectUsableSet(stdout, 1);
  });

  it("--file creates a file that is not there yet", async () => {
    const path = join(dir, "rotate-new.json");
    expect((await run("rotate-keys", ["--file", path])).code).toBe(0);
    await expectUsableSet(readFileSync(path, "utf8"), 1);
  });

  it("names the input and the problem when it is not a key set", async () => {
    const { code, stderr } = await run("rotate-keys", ["--stdin"], "{not json");
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Invalid signing keys: stdin: is not JSON; expected a key set {"keys":[…]} as printed by `npm run keys:generate`');
  });
});
