/**
 * Usernames over the API: one normal form (NFKC + case folding) for uniqueness and sign-in, the
 * PRECIS-like rules at creation, and usernames kept apart from emails.
 */
import { usernameKey } from "@sesame/core";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { backfillUsernameKeys } from "../src/db/backfill.ts";
import { failureOf, type AdminClient } from "./admin-fixtures.ts";
import { DEFAULT_PASSWORD, insertUser, login } from "./auth-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.stop());

async function freshTenant(): Promise<{ admin: AdminClient; code: string; id: string }> {
  const { admin, tenant } = await createTenantWithAdmin(api);
  return { admin, code: tenant.code, id: tenant.id };
}

describe("usernames", () => {
  it.each([
    ["fullwidth letters", "admin", "ａｄｍｉｎ"],
    ["a decomposed accent", "Émile", "E\u0301mile"],
    ["another case, beyond ASCII", "Ærøskøbing", "ÆRØSKØBING"],
    ["ß against ss", "straße", "STRASSE"],
  ])("treat %s as the same username (CONFLICT naming username)", async (_what, first, second) => {
    const { admin } = await freshTenant();
    await admin.users.create.mutate({ username: first });
    expect(await failureOf(admin.users.create.mutate({ username: second }))).toEqual({ code: "CONFLICT", field: "username" });
  });

  it.each([
    ["an @ (it would read as an email)", "someone@example.test"],
    ["a zero-width space", "ad\u200bmin"],
    ["a zero-width joiner", "ad\u200dmin"],
    ["a control character", "admin\u0007"],
    ["a Cyrillic look-alike among Latin letters", "\u0430dmin"],
    ["a Greek omicron among Latin letters", "r\u03bfot"],
    ["a symbol", "admin\u2605"],
  ])("refuse %s (BAD_REQUEST naming username)", async (_what, username) => {
    const { admin } = await freshTenant();
    expect(await failureOf(admin.users.create.mutate({ username }))).toEqual({ code: "BAD_REQUEST", field: "username" });
  });

  it("store the composed, width-mapped form and keep its case", async () => {
    const { admin } = await freshTenant();
    const user = await admin.users.create.mutate({ username: "Ｅ\u0301mile" });
    expect(user.username).toBe("Émile");
  });

  it("apply the rules on users.update too", async () => {
    const { admin } = await freshTenant();
    const taken = await admin.users.create.mutate({ username: "grace" });
    const user = await admin.users.create.mutate({ username: "ada" });
    expect(await failureOf(admin.users.update.mutate({ userId: user.id, username: "ＧＲＡＣＥ" }))).toEqual({ code: "CONFLICT", field: "username" });
    expect(await failureOf(admin.users.update.mutate({ userId: user.id, username: "ada@example.test" }))).toEqual({ code: "BAD_REQUEST", field: "username" });
    expect(taken.username).toBe("grace");
  });

  it("sign in under any spelling with the same normal form", async () => {
    const { admin, code } = await freshTenant();
    const user = await admin.users.create.mutate({ username: "Émile", password: DEFAULT_PASSWORD });
    for (const spelling of ["E\u0301MILE", "émile", "Ｅ\u0301ｍｉｌｅ"]) {
      await expect(login(api, code, spelling)).resolves.toMatchObject({ session: { userId: user.id } });
    }
  });

  it("never capture another user's email sign-in, even a username with @ stored before the rule", async () => {
    const { code, id } = await freshTenant();
    const victim = await insertUser(api, id, { username: "victim", email: "victim@example.test", password: "the victim's password" });
    // Written straight to the table, as an older version allowed: a username equal to the victim's email.
    await insertUser(api, id, { username: "victim@example.test", email: "squatter@example.test", password: "the squatter's password" });
    await expect(login(api, code, "victim@example.test", "the victim's password")).resolves.toMatchObject({ session: { userId: victim.id } });
    await expect(login(api, code, "victim@example.test", "the squatter's password")).rejects.toThrow();
  });
});

describe("username keys of rows from before the normal form", () => {
  it("are filled in oldest first; a newer row that collides keeps no key and signs in by email only", async () => {
    const { code, id } = await freshTenant();
    // Two rows as an older version stored them: no key, names that were distinct under lower().
    const older = await insertUser(api, id, { username: "Zoë" });
    await api.deps.db.update(users).set({ usernameKey: null, createdAt: new Date("2025-01-01T00:00:00Z") }).where(eq(users.id, older.id));
    const newer = await insertUser(api, id, { username: "ZOE\u0308", email: "zoe.newer@example.test" });
    await api.deps.db.update(users).set({ usernameKey: null, createdAt: new Date("2025-06-01T00:00:00Z") }).where(eq(users.id, newer.id));
    const collisions: string[] = [];
    // Over the API's own pool: embedded Postgres serves one connection.
    await backfillUsernameKeys(api.deps.db.$client, (userId) => collisions.push(userId));
    const keyOf = async (userId: string) => (await api.deps.db.select({ key: users.usernameKey }).from(users).where(eq(users.id, userId)))[0]?.key;
    expect(await keyOf(older.id)).toBe(usernameKey("Zoë"));
    expect(await keyOf(newer.id)).toBeNull();
    expect(collisions).toEqual([newer.id]);
    await expect(login(api, code, "zoë")).resolves.toMatchObject({ session: { userId: older.id } });
    await expect(login(api, code, "zoe.newer@example.test")).resolves.toMatchObject({ session: { userId: newer.id } });
  });
});
