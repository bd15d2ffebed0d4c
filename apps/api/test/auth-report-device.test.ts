/**
 * `auth.reportDevice`: a device reports JourneyApps' device fields on its own session, and doing so
 * marks the session connected.
 */
import { errorCode, errorField } from "@sesame/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSession, newUser, type AdminClient } from "./admin-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

let api: ApiHarness;
let admin: AdminClient;
beforeAll(async () => {
  api = await startApi();
  admin = (await createTenantWithAdmin(api)).admin;
});
afterAll(async () => api?.stop());

describe("auth.reportDevice", () => {
  it("records container, runtime, device id, label and last full sync on the caller's session, and moves lastConnectedAt", async () => {
    const user = await newUser(admin);
    const started = await newSession(admin, user.id);
    const other = await newSession(admin, user.id, { client: { label: "Other" } });
    expect(started.session.lastConnectedAt).toBeNull();
    const { session } = await api.user(started.accessToken).auth.reportDevice.mutate({
      device: { id: "dev-1" },
      label: "Apple iPhone7,2",
      container: { version: "20.6.1", bundleId: "xyz.appinstall.myapp", platform: "IOS" },
      runtime: { version: "4.82.0" },
      syncStatus: { lastFullSync: "2018-07-31T12:17:58Z" },
    });
    expect(session).toMatchObject({
      id: started.session.id,
      current: true,
      device: { id: "dev-1" },
      label: "Apple iPhone7,2",
      container: { version: "20.6.1", bundleId: "xyz.appinstall.myapp", platform: "IOS" },
      runtime: { version: "4.82.0" },
      syncStatus: { lastFullSync: "2018-07-31T12:17:58.000Z" },
      version: started.session.version + 1,
    });
    expect(session.lastConnectedAt).not.toBeNull();
    const got = await admin.users.get.query({ userId: user.id });
    expect(got.lastConnectedAt).toBe(session.lastConnectedAt);
    expect(got.sessions.find((s) => s.id === other.session.id)).toMatchObject({ label: "Other", lastConnectedAt: null });
  });

  it("keeps what a report leaves out, and moves lastConnectedAt on every report", async () => {
    const user = await newUser(admin);
    const started = await newSession(admin, user.id, { client: { label: "Kept", container: { version: "1.0", platform: "ANDROID" } } });
    const me = api.user(started.accessToken);
    const first = (await me.auth.reportDevice.mutate({ container: { version: "2.0" } })).session;
    expect(first).toMatchObject({ label: "Kept", container: { version: "2.0", bundleId: null, platform: "ANDROID" } });
    await new Promise((r) => setTimeout(r, 5));
    const second = (await me.auth.reportDevice.mutate({})).session;
    expect(Date.parse(second.lastConnectedAt!)).toBeGreaterThan(Date.parse(first.lastConnectedAt!));
  });

  it("answers CONFLICT on device.id when another live session of the user has that device", async () => {
    const user = await newUser(admin);
    await newSession(admin, user.id, { client: { device: { id: "taken" } } });
    const started = await newSession(admin, user.id);
    const error = await api.user(started.accessToken).auth.reportDevice.mutate({ device: { id: "taken" } }).catch((e: unknown) => e);
    expect([errorCode(error), errorField(error)]).toEqual(["CONFLICT", "device.id"]);
  });

  it("refuses unknown fields and a malformed sync time, naming them", async () => {
    const user = await newUser(admin);
    const me = api.user((await newSession(admin, user.id)).accessToken);
    const unknown = await me.auth.reportDevice.mutate({ state: "ENROLLED" } as never).catch((e: unknown) => e);
    expect([errorCode(unknown), errorField(unknown)]).toEqual(["BAD_REQUEST", "state"]);
    const time = await me.auth.reportDevice.mutate({ syncStatus: { lastFullSync: "yesterday" } }).catch((e: unknown) => e);
    expect([errorCode(time), errorField(time)]).toEqual(["BAD_REQUEST", "syncStatus.lastFullSync"]);
  });

  it("is refused to a signed-out session", async () => {
    const user = await newUser(admin);
    const started = await newSession(admin, user.id);
    await admin.sessions.reauthenticate.mutate({ userId: user.id, sessionId: started.session.id });
    const error = await api.user(started.accessToken).auth.reportDevice.mutate({ label: "x" }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("UNAUTHORIZED");
  });
});
