import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEV_PORTS, findRepoRoot, loadDevSecrets } from "../src/index.ts";

const fixture = join(import.meta.dirname, "fixtures", "print-dev-secrets.ts");
const roots: string[] = [];
const makeRoot = () => {
  const root = mkdtempSync(join(tmpdir(), "sesame-secrets-"));
  roots.push(root);
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "x", workspaces: ["apps/*"] }));
  return root;
};
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("loadDevSecrets", () => {
  it("creates the file once when 10 processes race for it", async () => {
    const root = makeRoot();
    const children = Array.from({ length: 10 }, () => spawn(process.execPath, ["--import", "tsx", fixture, root]));
    const outputs = children.map((child) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      return once(child, "close").then(([code]) => {
        expect(code).toBe(0);
        return out.replace("ready\n", "");
      });
    });
    // Release them together, once every one is loaded and waiting.
    await Promise.all(children.map((child) => once(child.stdout, "data")));
    for (const child of children) child.stdin.write("go\n");
    const results = await Promise.all(outputs);
    expect(new Set(results).size).toBe(1);
    expect(JSON.parse(results[0] ?? "")).toEqual(loadDevSecrets(root));
    const file = join(root, ".data", "dev-secrets.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(root, ".data"))).toEqual(["dev-secrets.json"]); // no temporary files left
  }, 60_000);

  it("answers the same secrets to 10 concurrent callers in one process", async () => {
    const root = makeRoot();
    const results = await Promise.all(Array.from({ length: 10 }, async () => loadDevSecrets(root)));
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it("generates secrets of the documented shapes", () => {
    const secrets = loadDevSecrets(makeRoot());
    expect(secrets.rootKey).toMatch(/^sesame_root_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secrets.encryptionKey, "base64")).toHaveLength(32);
    expect(secrets.cacheToken).not.toBe(secrets.introspectionSecret);
    expect(secrets.postgresPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("gives a file written before postgresPassword existed a stable password of its own", () => {
    const root = makeRoot();
    mkdirSync(join(root, ".data"));
    const old = { rootKey: `sesame_root_${"a".repeat(43)}`, cacheToken: "c", introspectionSecret: "i", encryptionKey: Buffer.alloc(32).toString("base64") };
    writeFileSync(join(root, ".data", "dev-secrets.json"), JSON.stringify(old));
    const first = loadDevSecrets(root);
    expect(first).toMatchObject(old);
    expect(first.postgresPassword).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loadDevSecrets(root).postgresPassword).toBe(first.postgresPassword);
  });

  it("refuses a damaged file instead of silently replacing it", () => {
    const root = makeRoot();
    mkdirSync(join(root, ".data"));
    writeFileSync(join(root, ".data", "dev-secrets.json"), "{");
    expect(() => loadDevSecrets(root)).toThrow(/delete it/);
  });
});

describe("findRepoRoot", () => {
  it("walks up to the package.json with workspaces", () => {
    const root = makeRoot();
    const nested = join(root, "apps", "api", "src");
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(root, "apps", "api", "package.json"), JSON.stringify({ name: "api" }));
    expect(findRepoRoot(nested)).toBe(root);
  });

  it("finds this monorepo from here", () => {
    expect(findRepoRoot(import.meta.dirname)).toBe(join(import.meta.dirname, "..", "..", ".."));
  });
});

it("DEV_PORTS", () => {
  expect(DEV_PORTS).toEqual({ postgres: 54329, cache: 8079, api: 4000, edge: 8787 });
});
