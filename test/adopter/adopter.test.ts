// An outside app adopts Sesame the way a new user would: the published packages are packed, each
// tarball installs into an empty directory and loads in plain Node, then a scratch app (its own
// package.json, a strict tsconfig, no paths) installs them with hono and @trpc/client from the
// registry, type-checks, and runs against the API and edge started by the repo's test kit: tenant,
// user, login, refresh, sessions, its own Hono service behind sessionAuth/requireGroups with its own
// onError, hono/jwk and jose verifying the token, then a lock that refresh and both session checks
// refuse (401, not 500). `npm run test:adopter` builds the packages first.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { uniqueTenantCode } from "@sesame/api/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStack, type Stack } from "../src/stack.ts";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const appTemplate = fileURLToPath(new URL("./app/", import.meta.url));
const PACKAGES = { core: "packages/core", cache: "packages/cache", client: "packages/client", edge: "apps/edge" } as const;
type Name = keyof typeof PACKAGES;
/** What each package needs beside itself that is not on the registry (yet): its Sesame dependencies. */
const SESAME_DEPS: Record<Name, Name[]> = { core: [], cache: ["core"], client: [], edge: ["core", "cache"] };
/** The adopter's environment: nothing of the repo's (no export condition, no workspace). */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_OPTIONS" && !k.startsWith("npm_")));

let work: string;
const tarballs = {} as Record<Name, string>;
let stack: Stack;

async function npm(cwd: string, args: string[]) {
  return run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd, env: cleanEnv, maxBuffer: 64 << 20 });
}

beforeAll(async () => {
  for (const [name, dir] of Object.entries(PACKAGES)) {
    if (!existsSync(path.join(repo, dir, "dist/index.js"))) throw new Error(`${dir}/dist is missing: run \`npm run test:adopter\` (it builds the packages first)`);
    void name;
  }
  work = await mkdtemp(path.join(tmpdir(), "sesame-adopter-"));
  await mkdir(path.join(work, "tarballs"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", path.join(work, "tarballs"), ...Object.values(PACKAGES).map((d) => `--workspace=${d}`)], { cwd: repo, maxBuffer: 64 << 20 });
  for (const packed of JSON.parse(stdout) as { name: string; filename: string }[]) {
    tarballs[packed.name.replace("@sesame/", "") as Name] = path.join(work, "tarballs", packed.filename);
  }
  stack = await startStack({ backends: inject("sesameBackends") });
}, 600_000);
afterAll(async () => {
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the packed packages", () => {
  it("ship only dist (ESM + .d.ts), are public, and carry no workspace ranges", async () => {
    for (const name of Object.keys(PACKAGES) as Name[]) {
      const { stdout } = await run("tar", ["-tzf", tarballs[name]]);
      const files = stdout.trim().split("\n");
      expect(files.filter((f) => !/^package\/(dist\/.+\.(js|d\.ts)|package\.json|README\.md)$/.test(f)), name).toEqual([]);
      const manifest = JSON.parse((await run("tar", ["-xzOf", tarballs[name], "package/package.json"])).stdout) as Record<string, unknown>;
      expect(manifest.private, name).toBeUndefined();
      expect(manifest.version, name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(JSON.stringify(manifest.dependencies ?? {}), name).not.toMatch(/"\*"|workspace:|service-kit|dev-services|@sesame\/api/);
    }
  });

  it.each(Object.keys(PACKAGES) as Name[])("@sesame/%s installs into an empty directory and plain node imports it", async (name) => {
    const dir = path.join(work, `alone-${name}`);
    await mkdir(dir);
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: `alone-${name}`, private: true, type: "module" }));
    await npm(dir, ["install", ...[...SESAME_DEPS[name], name].map((n) => tarballs[n])]);
    const { stdout } = await run(process.execPath, ["-e", `import("@sesame/${name}").then((m) => console.log(Object.keys(m).length))`], { cwd: dir, env: cleanEnv });
    expect(Number(stdout.trim())).toBeGreaterThan(0);
    if (name === "edge") {
      // One hono: the adopter's, not a copy inside @sesame/edge.
      expect(existsSync(path.join(dir, "node_modules/@sesame/edge/node_modules/hono"))).toBe(false);
      expect(existsSync(path.join(dir, "node_modules/hono/package.json"))).toBe(true);
    }
  });
});

describe("an outside app", () => {
  let app: string;
  beforeAll(async () => {
    app = path.join(work, "app");
    await cp(appTemplate, app, { recursive: true });
    const file = (n: Name) => `file:${tarballs[n]}`;
    await writeFile(
      path.join(app, "package.json"),
      JSON.stringify({
        name: "adopter",
        private: true,
        type: "module",
        dependencies: {
          "@sesame/cache": file("cache"),
          "@sesame/client": file("client"),
          "@sesame/core": file("core"),
          "@sesame/edge": file("edge"),
          "@trpc/client": "11.25.2",
          "@trpc/server": "11.25.2",
          hono: "4.13.19",
          jose: "6.2.17",
        },
        devDependencies: { "@types/node": "20.19.43", typescript: "5.9.3" },
      }),
    );
    await npm(app, ["install"]);
  }, 600_000);

  it("type-checks with a strict tsconfig, loading no Sesame source", async () => {
    const tsc = path.join(app, "node_modules/typescript/bin/tsc");
    const { stdout } = await run(process.execPath, [tsc, "-p", ".", "--noEmit", "--listFilesOnly"], { cwd: app, env: cleanEnv }).catch((e: { stdout: string; stderr: string }) => {
      throw new Error(`tsc failed:\n${e.stdout}${e.stderr}`);
    });
    const files = stdout.trim().split("\n");
    const sesame = files.filter((f) => f.includes("/node_modules/@sesame/"));
    expect(sesame.every((f) => /\/dist\/[^/]+\.d\.ts$/.test(f)), sesame.join("\n")).toBe(true);
    expect(files.filter((f) => f.includes("/node_modules/") && !/\.d\.[cm]?ts$/.test(f))).toEqual([]);
    console.log(`[adopter] tsc loads ${files.length} files, ${sesame.length} of them from @sesame/* (all dist .d.ts)`);
    // The check itself: strict, skipLibCheck off, 0 errors.
    await run(process.execPath, [tsc, "-p", ".", "--noEmit"], { cwd: app, env: cleanEnv }).catch((e: { stdout: string }) => {
      throw new Error(`the adopter's tsc reported errors:\n${e.stdout}`);
    });
  });

  it("runs the flow: tenant, user, login, refresh, sessions, its own service and verifiers; a lock is refused by refresh, the service and the edge", async () => {
    await run(process.execPath, [path.join(app, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: app, env: cleanEnv }).catch((e: { stdout: string }) => {
      throw new Error(`the adopter's build failed:\n${e.stdout}`);
    });
    const config = stack.api.config;
    const { stdout } = await run(process.execPath, ["out/main.js"], {
      cwd: app,
      env: {
        ...cleanEnv,
        SESAME_API_URL: stack.api.url,
        SESAME_EDGE_URL: stack.edge.url,
        SESAME_ROOT_KEY: config.rootKey,
        SESAME_ISSUER: config.issuer,
        SESAME_AUDIENCE: config.audience,
        SESAME_INTROSPECTION_SECRET: config.introspectionSecret,
        SESAME_CACHE_CONFIG: JSON.stringify(config.cache),
        TENANT_CODE: uniqueTenantCode("A"),
      },
    });
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
    const { userId } = report;
    expect(report.refreshedSessionId).toBe(report.loginSessionId);
    expect(report.sessionIds).toEqual([report.loginSessionId]);

    expect(report.before.service).toEqual({ status: 200, body: { userId, groups: ["staff"] } });
    expect(report.before.serviceWithoutToken).toMatchObject({ status: 401, body: { error: "missing_token" } });
    expect(report.before.serviceMissingGroup).toMatchObject({ status: 403, body: { requiredGroups: ["reports"] } });
    expect(report.before.edge).toBe(200);
    expect(report.before.honoJwk).toEqual({ status: 200, body: { sub: userId } });
    expect(report.before.honoJwkWithoutTyp).toBe(401);
    expect(report.before.jose).toBe(userId);

    expect(report.locked).toEqual([report.loginSessionId]);
    expect(report.after.refresh).toMatch(/^UNAUTHORIZED:/);
    expect(report.after.service).toMatchObject({ status: 401, body: { error: "session_revoked" } });
    expect(report.after.edge).toMatchObject({ status: 401, body: { error: "session_revoked" } });
    // The trade-off the README names: a JWT-only check still accepts the token until it expires.
    expect(report.after.honoJwk).toBe(200);
    expect(report.after.jose).toBe(userId);
  });
});
