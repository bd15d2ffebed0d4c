import { describe, expect, it } from "vitest";
import { ConfigError } from "@sesame/service-kit";
import { defaultIssuer, resolveApiConfig } from "./config.ts";
import { parseApiEnv } from "./env.ts";

/** Everything production requires, so one variable at a time can be left out. */
const PRODUCTION = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/sesame",
  REDIS_URL: "redis://127.0.0.1:6379",
  SESAME_ROOT_KEY: "A".repeat(40),
  SESAME_ISSUER: "https://sesame.example.com",
  SESAME_SIGNING_KEYS: '{"keys":[]}',
  SESAME_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  SESAME_INTROSPECTION_SECRET: "B".repeat(40),
};

describe("parseApiEnv", () => {
  it("accepts an empty development environment with defaults", () => {
    const env = parseApiEnv({});
    expect(env).toMatchObject({ NODE_ENV: "development", HOST: "127.0.0.1", SESAME_LEASE_SECONDS: 30, SESAME_TRUST_PROXY: false });
  });

  it("listens on API_PORT, else PORT (the API run alone), else 4000", () => {
    const portOf = (raw: Record<string, string>) => resolveApiConfig(parseApiEnv({ ...PRODUCTION, ...raw }), null).port;
    expect(portOf({})).toBe(4000);
    expect(portOf({ PORT: "4100" })).toBe(4100);
    expect(portOf({ PORT: "4100", API_PORT: "4200" })).toBe(4200);
  });

  it("never puts a wildcard listen address in the default issuer", () => {
    expect(defaultIssuer("0.0.0.0", 4000)).toBe("http://127.0.0.1:4000");
    expect(defaultIssuer("::", 4000)).toBe("http://127.0.0.1:4000");
    expect(defaultIssuer("::1", 4000)).toBe("http://[::1]:4000");
    expect(defaultIssuer("api.internal", 4000)).toBe("http://api.internal:4000");
  });

  it("says a missing production variable in one line naming it", () => {
    const { DATABASE_URL: _omitted, ...rest } = PRODUCTION;
    expect(() => parseApiEnv(rest)).toThrow(/^Invalid configuration: DATABASE_URL is required in production$/);
  });

  it("lists every missing secret at once in production", () => {
    const error = (() => {
      try {
        parseApiEnv({ NODE_ENV: "production" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of ["DATABASE_URL", "SESAME_ROOT_KEY", "SESAME_ISSUER", "SESAME_SIGNING_KEYS", "SESAME_ENCRYPTION_KEY", "SESAME_INTROSPECTION_SECRET", "UPSTASH_REDIS_REST_URL, REDIS_URL or REDIS_CLUSTER_NODES"]) {
      expect(problems).toContain(name);
    }
  });

  it("names malformed values together with missing ones", () => {
    expect(() => parseApiEnv({ PORT: "eighty", SESAME_LEASE_SECONDS: "600", SESAME_ENCRYPTION_KEY: "c2hvcnQ=" })).toThrow(
      /PORT[\s\S]*SESAME_ENCRYPTION_KEY|SESAME_ENCRYPTION_KEY[\s\S]*PORT/,
    );
    try {
      parseApiEnv({ PORT: "eighty", SESAME_LEASE_SECONDS: "600", SESAME_ENCRYPTION_KEY: "c2hvcnQ=" });
    } catch (e) {
      expect((e as ConfigError).problems.map((p) => p.split(":")[0]).sort()).toEqual(["PORT", "SESAME_ENCRYPTION_KEY", "SESAME_LEASE_SECONDS"]);
    }
  });

  it("refuses a root key or introspection secret that cannot travel as a bearer token", () => {
    const spaced = "a root key with spaces in it, 40 characters";
    try {
      parseApiEnv({ SESAME_ROOT_KEY: spaced, SESAME_INTROSPECTION_SECRET: spaced });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems.map((p) => p.split(":")[0]).sort()).toEqual(["SESAME_INTROSPECTION_SECRET", "SESAME_ROOT_KEY"]);
    }
    expect(() => parseApiEnv({ SESAME_ROOT_KEY: `sesame_root_${"A".repeat(43)}` })).not.toThrow();
  });

  it("reads the webhook retry schedule, and names it when malformed", () => {
    expect(parseApiEnv({}).SESAME_WEBHOOKS_RETRY_SCHEDULE).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(parseApiEnv({ SESAME_WEBHOOKS_RETRY_SCHEDULE: "100ms,1s" }).SESAME_WEBHOOKS_RETRY_SCHEDULE).toEqual([100, 1000]);
    expect(() => parseApiEnv({ SESAME_WEBHOOKS_RETRY_SCHEDULE: "5s,soon" })).toThrow(/SESAME_WEBHOOKS_RETRY_SCHEDULE.*"soon" is not a delay/);
  });

  it("refuses SESAME_WEBHOOKS_ALLOW_PRIVATE in production", () => {
    expect(parseApiEnv({ SESAME_WEBHOOKS_ALLOW_PRIVATE: "true" }).SESAME_WEBHOOKS_ALLOW_PRIVATE).toBe(true);
    expect(() => parseApiEnv({ NODE_ENV: "production", SESAME_WEBHOOKS_ALLOW_PRIVATE: "true" })).toThrow(/SESAME_WEBHOOKS_ALLOW_PRIVATE must not be set in production/);
  });

  it("requires the Upstash token with the Upstash URL", () => {
    expect(() => parseApiEnv({ UPSTASH_REDIS_REST_URL: "https://example.upstash.io" })).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
  });

  it("reads SMTP as a URL or as parts, and wants a From address with either", () => {
    expect(parseApiEnv({ SMTP_URL: "smtps://u:p@smtp.example.test:465", SMTP_FROM: "no-reply@example.test" })).toMatchObject({ SMTP_URL: "smtps://u:p@smtp.example.test:465" });
    expect(parseApiEnv({ SMTP_HOST: "smtp.example.test", SMTP_PORT: "2525", SMTP_FROM: "no-reply@example.test" })).toMatchObject({ SMTP_PORT: 2525, SMTP_SECURE: false });
    expect(() => parseApiEnv({ SMTP_HOST: "smtp.example.test" })).toThrow(/SMTP_FROM is required/);
    expect(() => parseApiEnv({ SMTP_URL: "http://smtp.example.test", SMTP_FROM: "a@b.c" })).toThrow(/SMTP_URL/);
    expect(() => parseApiEnv({ SMTP_URL: "smtp://a.test", SMTP_HOST: "b.test", SMTP_FROM: "a@b.c" })).toThrow(/not both/);
  });
});
