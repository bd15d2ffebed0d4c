import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollmentTokens } from "../src/db/schema.ts";
import { failureOf, newUser, type AdminClient, userIdsNotInTenant } from "./admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
let tenantCode: string;
let other: AdminClient;
beforeAll(async () => {
  api = await startApi();
  const created = await createTenantWithAdmin(api, { enrollmentUrl: "https://app.example.test/enroll" });
  admin = created.admin;
  tenantCode = created.tenant.code;
  other = (await createTenantWithAdmin(api)).admin;
});
afterAll(async () => api?.stop());

describe("enrollment.createToken", () => {
  it("returns an 8-digit code valid 5 minutes, its id and a link on the tenant's enrollment URL", async () => {
    const user = await newUser(admin);
    const before = Date.now();
    const created = await admin.enrollment.createToken.mutate({ userId: user.id });
    expect(created.token).toMatch(/^\d{8}$/);
    const url = new URL(created.url!);
    expect(`${url.origin}${url.pathname}`).toBe("https://app.example.test/enroll");
    expect(url.searchParams.get("tenant")).toBe(tenantCode);
    expect(url.searchParams.get("enrollment")).toBe(created.enrollmentId);
    expect(created.url).not.toContain(created.token);
    expect(Date.parse(created.expiresAt) - before).toBeGreaterThan(4.9 * 60_000);
    expect(Date.parse(created.expiresAt) - before).toBeLessThanOrEqual(5 * 60_000 + 5_000);
  });

  it("answers a null url when the tenant has no enrollment URL", async () => {
    const user = await newUser(other);
    expect((await other.enrollment.createToken.mutate({ userId: user.id })).url).toBeNull();
  });

  it("stores only a keyed hash of the code", async () => {
    const user = await newUser(admin);
    const { token, enrollmentId } = await admin.enrollment.createToken.mutate({ userId: user.id });
    const [row] = await api.deps.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, enrollmentId));
    expect(row!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.codeHash).not.toContain(token);
  });

  it("answers NOT_FOUND for a random id, another tenant's user and a deleted user", async () => {
    const ids = await userIdsNotInTenant(admin, other);
    for (const userId of Object.values(ids)) {
      expect(await failureOf(admin.enrollment.createToken.mutate({ userId }))).toEqual({ code: "NOT_FOUND", field: null });
    }
  });

  it("answers BAD_REQUEST naming userId for a malformed id", async () => {
    expect(await failureOf(admin.enrollment.createToken.mutate({ userId: "x" }))).toEqual({ code: "BAD_REQUEST", field: "userId" });
  });

  it("expires the user's unused codes when the user is locked", async () => {
    const user = await newUser(admin);
    const { enrollmentId } = await admin.enrollment.createToken.mutate({ userId: user.id });
    await admin.users.lock.mutate({ userId: user.id, wipe: false });
    const [row] = await api.deps.db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, enrollmentId));
    expect(row!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("records enrollment_token.created without the code", async () => {
    const user = await newUser(admin);
    const { token, enrollmentId } = await admin.enrollment.createToken.mutate({ userId: user.id });
    const [event] = (await admin.events.list.query({ userId: user.id, type: "enrollment_token.created" })).objects;
    expect(event?.data).toMatchObject({ enrollmentId });
    expect(JSON.stringify(event)).not.toContain(token);
  });
});
