/**
 * The production build as `npm start` runs it: plain `node` over `npm run build`'s bundles, with
 * NODE_ENV=production and only explicit configuration. Every start failure a deployment meets
 * first — a missing variable, Postgres or Redis down, a taken port, an edge whose token settings
 * cannot agree with the API's — is one line on stderr and exit code 1.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startApi, type ApiHarness } from "@sesame/api/testing";
import { closedPort, onFreePort } from "@sesame/dev-services";
import { listen, type HttpListener } from "@sesame/service-kit/node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const API_ENTRY = join(root, "apps/api/bundle/main.js");
const EDGE_ENTRY = join(root, "apps/edge/bundle/node.js");
const backends = inject("sesameBackends");

beforeAll(async () => {
  // What `npm run build` runs for the two servers (the console's Vite build is not needed here).
  for (const app of ["api", "edge"]) await promisify(execFile)("npm", ["run", "bundle"], { cwd: join(root, "apps", app) });
}, 120_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `node <args>` with exactly `env` (plus PATH) in a process group of its own; `exited`
 * resolves when it exits, `killAll()` ends it with everything it started, `stdout()` is what it
 * printed so far and `output()` the end of both streams, for a failure's message.
 */
function startNode(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Run>((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
  const killAll = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const output = () => `stdout: ${stdout.slice(-2_000)}\nstderr: ${stderr.slice(-2_000)}`;
  return { child, exited, killAll, stdout: () => stdout, output };
}

/** `promise`, or a failure naming `what` and the process's output so far once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, what: string, output: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms\n${output()}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a process that must fail at start; its stderr must be exactly one line. */
async function failsWithOneLine(entry: string, env: Record<string, string>): Promise<string> {
  const { code, stderr } = await startNode([entry], env).exited;
  expect(code).toBe(1);
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

const secret = () => randomBytes(32).toString("base64url");
const embedded = backends.description.postgres === "embedded";

async function signingKeys(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, "apps/api/bundle/cli/generate-keys.js")]);
  return stdout.trim();
}

/** A complete production configuration of the API over the run's Postgres and cache. */
async function apiEnv(port: number): Promise<Record<string, string>> {
  return {
    NODE_ENV: "production",
    API_PORT: String(port),
    DATABASE_URL: backends.databaseUrl,
    // Embedded Postgres serves one connection at a time.
    ...(embedded ? { DATABASE_POOL_MAX: "1" } : {}),
    UPSTASH_REDIS_REST_URL: backends.upstash.url,
    UPSTASH_REDIS_REST_TOKEN: backends.upstash.token,
    SESAME_CACHE_PREFIX: backends.cachePrefix,
    SESAME_ROOT_KEY: secret(),
    SESAME_ISSUER: `http://127.0.0.1:${port}`,
    SESAME_SIGNING_KEYS: await signingKeys(),
    SESAME_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    SESAME_INTROSPECTION_SECRET: secret(),
  };
}

/**
 * Runs `npm start` on two ports found free, and resolves once both servers have said they listen
 * there. A start that exits first fails at once with its stderr, rather than waiting out the test's
 * timeout; one that exits because a port was taken meanwhile starts again on fresh ports.
 */
function startBoth(upstreamUrl: string) {
  return onFreePort(
    async (apiPort) => {
      const edgePort = await closedPort();
      const start = startNode([join(root, "tooling/start.mjs")], {
        ...(await apiEnv(apiPort)),
        EDGE_PORT: String(edgePort),
        SESAME_API_URL: `http://127.0.0.1:${apiPort}`,
        UPSTREAM_URL: upstreamUrl,
      });
      const listening = new Promise<null>((resolve) =>
        start.child.stdout.on("data", () => {
          const printed = start.stdout();
          if (printed.includes(`Sesame API listening on http://127.0.0.1:${apiPort}`) && printed.includes(`listening on http://127.0.0.1:${edgePort} `)) resolve(null);
        }),
      );
      const early = await within(Promise.race([listening, start.exited]), 30_000, "npm start: the API and the edge did not both listen", start.output).catch((error: unknown) => {
        start.killAll();
        throw error;
      });
      if (early !== null) throw new Error(`npm start exited (code ${early.code}) before both servers listened: ${early.stderr}`);
      return { start, apiPort, edgePort };
    },
    (error) => String(error).includes("is already in use"),
  );
}

describe("npm start (the build under plain node)", () => {
  it("serves the API and the edge with NODE_ENV=production, each on its own port, and stops on SIGINT", async () => {
    const upstream = await listen(() => new Response("upstream"));
    const { start, apiPort, edgePort } = await startBoth(upstream.url);
    try {
      expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${edgePort}/healthz`)).status).toBe(200);
      const metadata = await (await fetch(`http://127.0.0.1:${apiPort}/.well-known/oauth-authorization-server`)).json();
      expect(metadata).toMatchObject({ issuer: `http://127.0.0.1:${apiPort}`, sesame_audience: "sesame" });
      const refused = await fetch(`http://127.0.0.1:${edgePort}/anything?q=1`);
      expect(refused.status).toBe(401);
      start.child.kill("SIGINT");
      const run = await within(start.exited, 15_000, "npm start did not exit on SIGINT", start.output);
      expect(run.code, run.stderr).toBe(0);
      // stdout is a pipe here, so the request log is JSON: one line per request, no query string.
      const requests = run.stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === "request");
      expect(requests).toContainEqual(expect.objectContaining({ service: "sesame-api", method: "GET", path: "/healthz", status: 200, caller: "anonymous" }));
      expect(requests).toContainEqual(expect.objectContaining({ service: "sesame-edge", method: "GET", path: "/anything", status: 401, caller: "anonymous" }));
    } finally {
      start.killAll();
      await upstream.close();
    }
  }, 90_000);

  it("refuses to start both with one PORT, naming API_PORT and EDGE_PORT", async () => {
    const line = await failsWithOneLine(join(root, "tooling/start.mjs"), { PORT: "4999" });
    expect(line).toBe("npm start: PORT would be read by both the API and the edge; set API_PORT and EDGE_PORT instead");
  });
});

describe("the API refuses to start, in one line", () => {
  it("when a required variable is missing, naming it", async () => {
    const { SESAME_ISSUER: _unset, ...env } = await apiEnv(await closedPort());
    expect(await failsWithOneLine(API_ENTRY, env)).toBe("Sesame API: Invalid configuration: SESAME_ISSUER is required in production");
  });

  it("when Postgres does not answer", async () => {
    const port = await closedPort();
    const env = { ...(await apiEnv(await closedPort())), DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${port}/sesame` };
    expect(await failsWithOneLine(API_ENTRY, env)).toBe(
      `Sesame API: cannot reach Postgres at postgres://postgres:***@127.0.0.1:${port}/sesame (DATABASE_URL): ECONNREFUSED; start Postgres or fix the host and port in DATABASE_URL`,
    );
  });

  it("when Redis does not answer", async () => {
    const port = await closedPort();
    const { UPSTASH_REDIS_REST_URL: _u, UPSTASH_REDIS_REST_TOKEN: _t, ...env } = await apiEnv(await closedPort());
    const line = await failsWithOneLine(API_ENTRY, { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(line).toMatch(new RegExp(`^Sesame API: cannot reach the cache, Redis at redis://127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): start Redis or fix REDIS_URL \\(.*ECONNREFUSED.*\\)$`));
  });

  it("when its port is taken, naming API_PORT", async () => {
    const taken = await listen(() => new Response());
    try {
      expect(await failsWithOneLine(API_ENTRY, await apiEnv(taken.port))).toBe(
        `Sesame API: port 127.0.0.1:${taken.port} is already in use (another "npm run dev" or npm start?): stop that process or set API_PORT`,
      );
    } finally {
      await taken.close();
    }
  });
});

describe("the edge refuses to start when its token settings cannot agree with the API's", () => {
  let api: ApiHarness;
  let upstream: HttpListener;
  let wrongKeys: HttpListener;
  beforeAll(async () => {
    api = await startApi({ backends });
    upstream = await listen(() => new Response("upstream"));
    // A JWKS with someone else's key: the edge would refuse every token the API signs.
    wrongKeys = await listen(() => Response.json({ keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "someone-else" }] }));
  });
  afterAll(async () => {
    await api?.stop();
    await upstream?.close();
    await wrongKeys?.close();
  });

  const edgeEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
    NODE_ENV: "production",
    EDGE_PORT: "0",
    SESAME_API_URL: api.url,
    SESAME_ISSUER: api.config.issuer,
    SESAME_INTROSPECTION_SECRET: api.config.introspectionSecret,
    UPSTASH_REDIS_REST_URL: backends.upstash.url,
    UPSTASH_REDIS_REST_TOKEN: backends.upstash.token,
    UPSTREAM_URL: upstream.url,
    ...overrides,
  });

  it("starts when iss, aud and keys agree", async () => {
    const edge = startNode([EDGE_ENTRY], edgeEnv());
    const listening = await new Promise<boolean>((resolve) => {
      edge.child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("listening on") && resolve(true));
      void edge.exited.then(() => resolve(false));
    });
    edge.child.kill("SIGTERM");
    const run = await edge.exited;
    expect(listening, run.stderr).toBe(true);
  });

  it("refuses a taken port in one line, naming EDGE_PORT", async () => {
    const taken = await listen(() => new Response());
    try {
      expect(await failsWithOneLine(EDGE_ENTRY, edgeEnv({ EDGE_PORT: String(taken.port) }))).toBe(
        `Sesame edge: port 127.0.0.1:${taken.port} is already in use (another "npm run dev" or npm start?): stop that process or set EDGE_PORT`,
      );
    } finally {
      await taken.close();
    }
  });

  it("names both issuers when SESAME_ISSUER differs (here: left to its default, the API's URL)", async () => {
    const { SESAME_ISSUER: _unset, ...env } = edgeEnv();
    expect(await failsWithOneLine(EDGE_ENTRY, env)).toBe(
      `Sesame edge: token settings disagree with the API: the API at ${api.url} issues tokens with iss "${api.config.issuer}" but the edge expects "${api.url}": set SESAME_ISSUER=${api.config.issuer} on the edge, or the API's SESAME_ISSUER to match`,
    );
  });

  it("names both audiences when SESAME_AUDIENCE differs", async () => {
    expect(await failsWithOneLine(EDGE_ENTRY, edgeEnv({ SESAME_AUDIENCE: "billing" }))).toBe(
      'Sesame edge: token settings disagree with the API: the API issues tokens with aud "sesame" but the edge expects "billing": set SESAME_AUDIENCE alike on both',
    );
  });

  it("names the keys SESAME_JWKS_URL does not publish", async () => {
    const line = await failsWithOneLine(EDGE_ENTRY, edgeEnv({ SESAME_JWKS_URL: `${wrongKeys.url}/jwks.json` }));
    const kids = ((await (await fetch(`${api.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(line).toBe(
      `Sesame edge: token settings disagree with the API: SESAME_JWKS_URL ${wrongKeys.url}/jwks.json does not publish the API's signing key(s) ${kids.join(", ")} (from ${api.url}/.well-known/jwks.json): unset SESAME_JWKS_URL or point it at the API's keys`,
    );
  });
});
