import { errorCode, errorField } from "@sesame/client";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, uniqueTenantCode, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.stop());

describe("tenants.create", () => {
  it("creates a tenant over HTTP with the root key, and stores it in Postgres with a hashed key", async () => {
    const code = uniqueTenantCode();
    const { tenant, apiKey, key } = await api.root().tenants.create.mutate({ code, name: "Acme" });
    expect(tenant).toMatchObject({ code, name: "Acme", settings: { multipleDevicesPerUser: true, sessionTtlSeconds: 2_592_000, accessTokenTtlSeconds: 900, enrollmentUrl: null } });
    expect(key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ name: "default", revokedAt: null });

    const rows = await api.deps.db.execute(sql`select t.code, t.name, k.key_hash from tenants t join api_keys k on k.tenant_id = t.id where t.id = ${tenant.id}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ code, name: "Acme" });
    expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.key_hash).not.toContain(key.slice(3));
  });

  it("refuses a caller without the root key as UNAUTHORIZED", async () => {
    await expect(api.anonymous().tenants.create.mutate({ code: uniqueTenantCode(), name: "X" })).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
    await expect(api.admin("sk_wrong").tenants.create.mutate({ code: uniqueTenantCode(), name: "X" })).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
  });

  it("names the field at fault for a malformed code", async () => {
    const error = await api.root().tenants.create.mutate({ code: "lower case", name: "X" }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("BAD_REQUEST");
    expect(errorField(error)).toBe("code");
  });

  it("answers CONFLICT for a duplicate code", async () => {
    const code = uniqueTenantCode();
    await api.root().tenants.create.mutate({ code, name: "First" });
    const error = await api.root().tenants.create.mutate({ code, name: "Second" }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("CONFLICT");
  });

  it("lets the tenant's API key read and update its own settings", async () => {
    const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Mine" });
    const admin = api.admin(key);
    const updated = await admin.tenants.update.mutate({ settings: { multipleDevicesPerUser: false, enrollmentUrl: "https://example.test/enroll" } });
    expect(updated.settings).toMatchObject({ multipleDevicesPerUser: false, enrollmentUrl: "https://example.test/enroll", accessTokenTtlSeconds: 900 });
    expect(await admin.tenants.get.query()).toEqual(updated);
  });

  it("changes only the settings a patch names, leaving every other one as it was", async () => {
    const settings = { multipleDevicesPerUser: false, sessionTtlSeconds: 3600, accessTokenTtlSeconds: 300, enrollmentUrl: "https://example.test/enroll" };
    const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Patch", settings });
    const updated = await api.admin(key).tenants.update.mutate({ settings: { accessTokenTtlSeconds: 600 } });
    expect(updated.settings).toEqual({ ...settings, sessionIdleTimeoutSeconds: null, mfaPolicy: "optional", mfaRequiredGroups: [], passwordResetUrl: null, emailVerificationUrl: null, accessTokenTtlSeconds: 600 });
    expect((await api.admin(key).tenants.update.mutate({ name: "Renamed" })).settings).toEqual(updated.settings);
  });

  it("fills the defaults for the settings tenants.create leaves out", async () => {
    const { tenant } = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Defaults", settings: { multipleDevicesPerUser: false } });
    expect(tenant.settings).toEqual({ multipleDevicesPerUser: false, sessionTtlSeconds: 2_592_000, accessTokenTtlSeconds: 900, enrollmentUrl: null, passwordResetUrl: null, emailVerificationUrl: null, sessionIdleTimeoutSeconds: null, mfaPolicy: "optional", mfaRequiredGroups: [] });
  });

  it("holds the mail link pages to the enrollment URL rules, naming the field", async () => {
    const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Mail links" });
    for (const field of ["passwordResetUrl", "emailVerificationUrl"]) {
      const error = await api.admin(key).tenants.update.mutate({ settings: { [field]: "javascript:alert(1)" } }).catch((e: unknown) => e);
      expect(errorField(error)).toBe(`settings.${field}`);
    }
    const updated = await api.admin(key).tenants.update.mutate({ settings: { passwordResetUrl: "https://app.example.test/reset", emailVerificationUrl: "http://localhost:3000/verify" } });
    expect(updated.settings).toMatchObject({ passwordResetUrl: "https://app.example.test/reset", emailVerificationUrl: "http://localhost:3000/verify" });
  });

  it.each(["javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "http://enroll.example.test/", "ftp://example.test/"])(
    "refuses %s as enrollmentUrl, naming the field",
    async (enrollmentUrl) => {
      const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Links" });
      const error = await api.admin(key).tenants.update.mutate({ settings: { enrollmentUrl } }).catch((e: unknown) => e);
      expect(errorCode(error)).toBe("BAD_REQUEST");
      expect(errorField(error)).toBe("settings.enrollmentUrl");
      const created = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Links", settings: { enrollmentUrl } }).catch((e: unknown) => e);
      expect(errorCode(created)).toBe("BAD_REQUEST");
    },
  );

  it.each(["https://enroll.example.test/start", "http://localhost:5173/enroll", "http://127.0.0.1:8080/e", "http://[::1]:3000/"])(
    "accepts %s as enrollmentUrl",
    async (enrollmentUrl) => {
      const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Links" });
      expect((await api.admin(key).tenants.update.mutate({ settings: { enrollmentUrl } })).settings.enrollmentUrl).toBe(enrollmentUrl);
    },
  );
});

describe("apiKeys", () => {
  it("creates, lists and revokes keys; a revoked key stops working", async () => {
    const { key } = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "Keys" });
    const admin = api.admin(key);
    const second = await admin.apiKeys.create.mutate({ name: "ci" });
    expect(second.key).not.toBe(key);
    const listed = await admin.apiKeys.list.query();
    expect(listed.map((k) => k.name).sort()).toEqual(["ci", "default"]);
    expect(listed.every((k) => !("keyHash" in k))).toBe(true);
    expect(listed.find((k) => k.name === "default")?.lastUsedAt).not.toBeNull();
    await admin.apiKeys.revoke.mutate({ apiKeyId: second.apiKey.id });
    await expect(api.admin(second.key).tenants.get.query()).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
  });

  it("answers NOT_FOUND when revoking another tenant's key", async () => {
    const a = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "A" });
    const b = await api.root().tenants.create.mutate({ code: uniqueTenantCode(), name: "B" });
    const error = await api.admin(a.key).apiKeys.revoke.mutate({ apiKeyId: b.apiKey.id }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("NOT_FOUND");
  });
});
