/**
 * Group names end up in the edge's `x-sesame-groups` header: every input that takes one refuses
 * anything outside the documented set (`GROUP_NAME_PATTERN`), naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUP_NAME_PATTERN } from "../src/routers/inputs.ts";
import { failureOf, newSession, newUser, type AdminClient, startWithTwoTenants } from "./admin-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
beforeAll(async () => {
  ({ api, admin } = await startWithTwoTenants());
});
afterAll(async () => api?.stop());

const UNSAFE = [
  ["non-ASCII letters", "管理"],
  ["a control character", "ops\u0007"],
  ["a line break", "ops\r\nx-sesame-user-id: 1"],
  ["a comma", "sales,admin"],
  ["a space", "sales team"],
  ["a leading dot", ".hidden"],
  ["101 characters", "a".repeat(101)],
] as const;

describe("group names", () => {
  it("accept letters, digits and . _ : - up to 100 characters", async () => {
    const groups = ["sales", "Team-A", "ops.eu_1", "role:admin", "a".repeat(100)];
    for (const group of groups) expect(GROUP_NAME_PATTERN.test(group)).toBe(true);
    const user = await newUser(admin, { groups });
    expect(user.groups).toEqual(groups);
  });

  it.each(UNSAFE)("are refused with %s on users.create and users.update", async (_what, group) => {
    expect(await failureOf(newUser(admin, { groups: ["ok", group] }))).toEqual({ code: "BAD_REQUEST", field: "groups.1" });
    const user = await newUser(admin);
    expect(await failureOf(admin.users.update.mutate({ userId: user.id, groups: [group] }))).toEqual({ code: "BAD_REQUEST", field: "groups.0" });
  });

  it.each(UNSAFE)("are refused with %s on users.addToGroups and users.removeFromGroups", async (_what, group) => {
    const user = await newUser(admin);
    for (const call of [admin.users.addToGroups, admin.users.removeFromGroups]) {
      expect((await failureOf(call.mutate({ userId: user.id, groups: group }))).code).toBe("BAD_REQUEST");
      expect(await failureOf(call.mutate({ userId: user.id, groups: ["ok", group] }))).toEqual({ code: "BAD_REQUEST", field: "groups.1" });
    }
  });

  it.each(UNSAFE)("are refused with %s on sessions.create, addAccessGroups and removeAccessGroups", async (_what, group) => {
    const user = await newUser(admin);
    expect(await failureOf(newSession(admin, user.id, { accessGroups: [group] }))).toEqual({ code: "BAD_REQUEST", field: "accessGroups.0" });
    for (const call of [admin.sessions.addAccessGroups, admin.sessions.removeAccessGroups]) {
      expect(await failureOf(call.mutate({ userId: user.id, groups: ["ok", group] }))).toEqual({ code: "BAD_REQUEST", field: "groups.1" });
    }
  });
});
