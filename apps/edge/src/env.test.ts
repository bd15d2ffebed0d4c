import { describe, expect, it } from "vitest";
import { ConfigError } from "@sesame/service-kit";
import { parseEdgeEnv } from "./env.ts";

const minimal = {
  SESAME_INTROSPECTION_SECRET: "dev-introspection-secret-of-32-chars",
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: "dev-token",
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseEdgeEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected parseEdgeEnv to fail");
}

describe("parseEdgeEnv", () => {
  it("listens on EDGE_PORT, else PORT (the edge run alone), else 8787", () => {
    expect(parseEdgeEnv(minimal).port).toBe(8787);
    expect(parseEdgeEnv({ ...minimal, PORT: "8800" }).port).toBe(8800);
    expect(parseEdgeEnv({ ...minimal, PORT: "8800", EDGE_PORT: "8900" }).port).toBe(8900);
  });

  it("outside production, finds the API on API_PORT when SESAME_API_URL is unset", () => {
    expect(parseEdgeEnv({ ...minimal, API_PORT: "4100" })).toMatchObject({ apiUrl: "http://127.0.0.1:4100", issuer: "http://127.0.0.1:4100" });
    expect(parseEdgeEnv({ ...minimal, API_PORT: "4100", SESAME_API_URL: "http://api.internal" }).apiUrl).toBe("http://api.internal");
  });

  it("fills the documented defaults", () => {
    expect(parseEdgeEnv(minimal)).toEqual({
      production: false,
      port: 8787,
      host: "127.0.0.1",
      apiUrl: "http://127.0.0.1:4000",
      jwksUrl: "http://127.0.0.1:4000/.well-known/jwks.json",
      introspectionUrl: "http://127.0.0.1:4000/internal/introspect",
      issuer: "http://127.0.0.1:4000",
      audience: "sesame",
      introspectionSecret: "dev-introspection-secret-of-32-chars",
      cache: { kind: "upstash", url: "http://127.0.0.1:8079", token: "dev-token", prefix: "sesame:", timeoutMs: 500 },
      upstreamUrl: undefined,
      publicPaths: [],
      routeGroups: {},
      metricsToken: null,
      routeFactors: {},
      logLevel: "info",
    });
  });

  it("derives the JWKS URL and the issuer from SESAME_API_URL unless given", () => {
    const env = parseEdgeEnv({ ...minimal, SESAME_API_URL: "https://api.example.com/" });
    expect(env.jwksUrl).toBe("https://api.example.com/.well-known/jwks.json");
    expect(env.issuer).toBe("https://api.example.com");
    const explicit = parseEdgeEnv({ ...minimal, SESAME_JWKS_URL: "https://keys.example.com/jwks", SESAME_ISSUER: "https://issuer.example.com" });
    expect(explicit.jwksUrl).toBe("https://keys.example.com/jwks");
    expect(explicit.issuer).toBe("https://issuer.example.com");
  });

  it("uses the TCP store when only REDIS_URL is given, and Upstash otherwise", () => {
    const { UPSTASH_REDIS_REST_URL: _u, UPSTASH_REDIS_REST_TOKEN: _t, ...noUpstash } = minimal;
    expect(parseEdgeEnv({ ...noUpstash, REDIS_URL: "redis://127.0.0.1:6379" }).cache).toEqual({ kind: "tcp", url: "redis://127.0.0.1:6379", prefix: "sesame:", timeoutMs: 500 });
    expect(parseEdgeEnv({ ...minimal, REDIS_URL: "redis://127.0.0.1:6379" }).cache.kind).toBe("upstash");
    expect(parseEdgeEnv({ ...minimal, REDIS_URL: "redis://127.0.0.1:6379", SESAME_EDGE_STORE: "tcp" }).cache.kind).toBe("tcp");
  });

  it("uses a Redis Cluster when REDIS_CLUSTER_NODES is given, also for SESAME_EDGE_STORE=tcp", () => {
    const { UPSTASH_REDIS_REST_URL: _u, UPSTASH_REDIS_REST_TOKEN: _t, ...noUpstash } = minimal;
    const nodes = "10.0.0.1:7000, 10.0.0.2:7001,";
    expect(parseEdgeEnv({ ...noUpstash, REDIS_CLUSTER_NODES: nodes, REDIS_URL: "redis://127.0.0.1:6379" }).cache).toEqual({
      kind: "cluster",
      nodes: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7001"],
      prefix: "sesame:",
      timeoutMs: 500,
    });
    expect(parseEdgeEnv({ ...minimal, REDIS_CLUSTER_NODES: nodes }).cache.kind).toBe("upstash");
    expect(parseEdgeEnv({ ...minimal, REDIS_CLUSTER_NODES: nodes, SESAME_EDGE_STORE: "tcp" }).cache.kind).toBe("cluster");
    // Credentials and TLS given once apply to every seed node.
    expect(parseEdgeEnv({ ...noUpstash, REDIS_CLUSTER_NODES: "rediss://u:p%40ss@a.example:6380,b.example:6380" }).cache).toMatchObject({
      nodes: ["rediss://u:p%40ss@a.example:6380", "rediss://u:p%40ss@b.example:6380"],
    });
  });

  it("refuses malformed cluster nodes and a hash-tagged prefix with a cluster, naming the variable", () => {
    const { UPSTASH_REDIS_REST_URL: _u, UPSTASH_REDIS_REST_TOKEN: _t, ...noUpstash } = minimal;
    for (const bad of ["10.0.0.1", "http://10.0.0.1:7000", "redis://10.0.0.1:7000/2", " , ", "redis://a:b@h:1,redis://c:d@h:2"]) {
      expect(problemsOf({ ...noUpstash, REDIS_CLUSTER_NODES: bad }).join("\n")).toMatch(/REDIS_CLUSTER_NODES/);
    }
    expect(problemsOf({ ...noUpstash, REDIS_CLUSTER_NODES: "10.0.0.1:7000", SESAME_CACHE_PREFIX: "{sesame}:" }).join("\n")).toMatch(/SESAME_CACHE_PREFIX: must not contain a hash tag/);
    expect(parseEdgeEnv({ ...noUpstash, REDIS_URL: "redis://127.0.0.1:6379", SESAME_CACHE_PREFIX: "{sesame}:" }).cache.prefix).toBe("{sesame}:");
  });

  it("parses public paths and route groups", () => {
    const env = parseEdgeEnv({ ...minimal, SESAME_PUBLIC_PATHS: " /public/*, /status ,", SESAME_ROUTE_GROUPS: '{"/admin/*":["admin"]}' });
    expect(env.publicPaths).toEqual(["/public/*", "/status"]);
    expect(env.routeGroups).toEqual({ "/admin/*": ["admin"] });
  });

  it("parses route factors, and refuses a factor Sesame does not know", () => {
    expect(parseEdgeEnv({ ...minimal, SESAME_ROUTE_FACTORS: '{"/payouts/*":["totp"]}' }).routeFactors).toEqual({ "/payouts/*": ["totp"] });
    expect(problemsOf({ SESAME_ROUTE_FACTORS: '{"/payouts/*":["sms"]}' }).join("\n")).toMatch(/SESAME_ROUTE_FACTORS/);
    expect(problemsOf({ SESAME_ROUTE_FACTORS: "totp" }).join("\n")).toMatch(/SESAME_ROUTE_FACTORS: must be JSON/);
  });

  it("lists every problem at once", () => {
    const problems = problemsOf({
      PORT: "eighty",
      SESAME_API_URL: "ftp://x",
      SESAME_EDGE_STORE: "memcached",
    });
    expect(problems.join("\n")).toMatch(/PORT/);
    expect(problems.join("\n")).toMatch(/SESAME_API_URL/);
    expect(problems.join("\n")).toMatch(/SESAME_EDGE_STORE/);
    expect(problems.join("\n")).toMatch(/SESAME_INTROSPECTION_SECRET is required/);
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });

  it("names each missing setting and each bad pattern", () => {
    const problems = problemsOf({ SESAME_PUBLIC_PATHS: "public", SESAME_ROUTE_GROUPS: '{"/a/*/b":["x"]}' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SESAME_INTROSPECTION_SECRET is required/),
        expect.stringMatching(/^UPSTASH_REDIS_REST_URL is required/),
        expect.stringMatching(/^UPSTASH_REDIS_REST_TOKEN is required/),
        expect.stringMatching(/^SESAME_PUBLIC_PATHS: /),
        expect.stringMatching(/^SESAME_ROUTE_GROUPS: /),
      ]),
    );
    expect(problemsOf({ ...minimal, SESAME_ROUTE_GROUPS: "{" })).toEqual([expect.stringMatching(/SESAME_ROUTE_GROUPS: must be JSON/)]);
    expect(problemsOf({ ...minimal, SESAME_ROUTE_GROUPS: '{"/a":[]}' })).toEqual([expect.stringMatching(/non-empty arrays/)]);
  });

  it("requires the API and upstream addresses explicitly in production", () => {
    const problems = problemsOf({ ...minimal, NODE_ENV: "production" });
    expect(problems).toEqual([expect.stringMatching(/^SESAME_API_URL is required in production/), expect.stringMatching(/^UPSTREAM_URL is required in production/)]);
    const env = parseEdgeEnv({ ...minimal, NODE_ENV: "production", SESAME_API_URL: "https://api.example.com", UPSTREAM_URL: "http://app:3000" });
    expect(env.production).toBe(true);
  });

  it("refuses an introspection secret that cannot travel as a bearer token", () => {
    expect(problemsOf({ ...minimal, SESAME_INTROSPECTION_SECRET: "an introspection secret with spaces in it" })).toEqual([expect.stringMatching(/^SESAME_INTROSPECTION_SECRET: .*bearer/)]);
  });

  it("requires the API's secret minimum of 32 characters", () => {
    expect(problemsOf({ ...minimal, SESAME_INTROSPECTION_SECRET: "x".repeat(31) })).toEqual([expect.stringMatching(/^SESAME_INTROSPECTION_SECRET: must be at least 32 characters/)]);
    expect(parseEdgeEnv({ ...minimal, SESAME_INTROSPECTION_SECRET: "x".repeat(32) }).introspectionSecret).toBe("x".repeat(32));
  });

  it("reads the cache budget and prefix like the API", () => {
    const env = parseEdgeEnv({ ...minimal, SESAME_CACHE_TIMEOUT_MS: "250", SESAME_CACHE_PREFIX: "tenant-a:" });
    expect(env.cache).toMatchObject({ prefix: "tenant-a:", timeoutMs: 250 });
    expect(problemsOf({ ...minimal, SESAME_CACHE_TIMEOUT_MS: "5" })).toEqual([expect.stringMatching(/^SESAME_CACHE_TIMEOUT_MS: /)]);
  });

  it("treats empty variables as unset", () => {
    expect(parseEdgeEnv({ ...minimal, PORT: "", SESAME_API_URL: "" }).port).toBe(8787);
    expect(problemsOf({ ...minimal, SESAME_INTROSPECTION_SECRET: "" })).toEqual([expect.stringMatching(/SESAME_INTROSPECTION_SECRET is required/)]);
  });
});
