/** Helpers for the tenant-admin procedure tests: users and sessions made through the API. */
import { randomBytes, randomUUID } from "node:crypto";
import type { SesameClient } from "@sesame/client";
import { errorCode, errorField } from "@sesame/client";
import { expect } from "vitest";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

export type AdminClient = SesameClient;

export const uniqueUsername = (prefix = "user") => `${prefix}-${randomBytes(5).toString("hex")}`;

export function newUser(admin: AdminClient, input: Partial<Parameters<AdminClient["users"]["create"]["mutate"]>[0]> = {}) {
  return admin.users.create.mutate({ username: uniqueUsername(), ...input });
}

export function newSession(admin: AdminClient, userId: string, input: Partial<Parameters<AdminClient["sessions"]["create"]["mutate"]>[0]> = {}) {
  return admin.sessions.create.mutate({ userId, ...input });
}

/** One session in each state a user's session can be in: ENROLLED, LOCKED, RESET and deleted. */
export async function sessionsInEveryState(admin: AdminClient, userId: string) {
  const [enrolled, locked, reset, deleted] = await Promise.all([0, 1, 2, 3].map(() => newSession(admin, userId)));
  await admin.sessions.reauthenticate.mutate({ userId, sessionId: locked!.session.id });
  await admin.sessions.wipe.mutate({ userId, sessionId: reset!.session.id });
  await admin.sessions.delete.mutate({ userId, sessionId: deleted!.session.id });
  return { enrolled: enrolled!.session.id, locked: locked!.session.id, reset: reset!.session.id, deleted: deleted!.session.id };
}

/** State and deletion of sessions straight from Postgres (deleted ones are hidden from the API). */
export async function sessionStates(api: ApiHarness, ids: string[]): Promise<Record<string, { state: string; deleted: boolean }>> {
  const rows = await api.deps.db.query.sessions.findMany({ where: (s, { inArray }) => inArray(s.id, ids) });
  return Object.fromEntries(rows.map((r) => [r.id, { state: r.state, deleted: r.deletedAt !== null }]));
}

/** `{ code, field }` of a failed call, for one-line assertions. */
export async function failureOf(call: Promise<unknown>): Promise<{ code: string | null; field: string | null }> {
  try {
    await call;
  } catch (error) {
    return { code: errorCode(error), field: errorField(error) };
  }
  throw new Error("expected the call to fail");
}

export const randomId = () => randomUUID();

/** A receipt as every revoking mutation returns it. */
export const receiptShape = (sessionIds: string[]) => ({
  sessionIds: expect.arrayContaining(sessionIds) as unknown as string[],
  committedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown as string,
  effectiveAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown as string,
});

/** The API with two tenants: `admin` is the one under test, `other` owns ids that must look random to it. */
export async function startWithTwoTenants(): Promise<{ api: ApiHarness; admin: AdminClient; other: AdminClient }> {
  const api = await startApi();
  const admin = (await createTenantWithAdmin(api)).admin;
  const other = (await createTenantWithAdmin(api)).admin;
  return { api, admin, other };
}

/** One user id of each kind a tenant must answer NOT_FOUND for: random, another tenant's user, a deleted user. */
export async function userIdsNotInTenant(admin: AdminClient, other: AdminClient): Promise<{ random: string; foreign: string; deleted: string }> {
  const foreign = await newUser(other);
  const deleted = await newUser(admin);
  await admin.users.delete.mutate({ userId: deleted.id });
  return { random: randomId(), foreign: foreign.id, deleted: deleted.id };
}
