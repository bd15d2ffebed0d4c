/**
 * Helpers for the auth tests: users inserted straight into Postgres (with a real argon2id hash),
 * clients that speak from a chosen IP (X-Forwarded-For; the test API trusts its proxy), and an
 * API whose rate-limit buckets belong to this file alone.
 */
import { randomBytes, randomInt } from "node:crypto";
import { createSesameClient } from "@sesame/client";
import { isMfaChallenge, usernameKey, type MfaChallenge } from "@sesame/core";
import { and, asc, eq } from "drizzle-orm";
import { inject } from "vitest";
import type { ApiConfig } from "../src/config.ts";
import { events, sessions, users, type UserRow } from "../src/db/schema.ts";
import { createEnrollmentToken } from "../src/services/enrollment/enrollment-codes.ts";
import { hashPassword } from "../src/lib/passwords.ts";
import { createTenantWithAdmin, startApi, type ApiHarness, type HarnessOptions } from "./harness.ts";

/**
 * startApi with a cache prefix of its own, so rate-limit counters (all requests come from
 * 127.0.0.1) do not leak between test files of one run.
 */
export function startAuthApi(options: HarnessOptions = {}) {
  const backends = inject("sesameBackends");
  const cache: ApiConfig["cache"] = {
    kind: "upstash",
    url: backends.upstash.url,
    token: backends.upstash.token,
    prefix: `${backends.cachePrefix}auth-${randomBytes(4).toString("hex")}:`,
    timeoutMs: 500,
  };
  return startApi({ ...options, config: { cache, ...options.config } });
}

const DAY_MS = 24 * 3600 * 1000;
let nextPinnedDay = Math.ceil(Date.now() / DAY_MS) * DAY_MS;

/**
 * The API's clock, following real time until a test pins it. Rate-limit windows are read from it,
 * so a test that pins it gets the same decisions however slow the machine is. Each pin is at the
 * start of a day (UTC) of its own in the future, so even day-long windows start fresh there.
 */
export function testClock() {
  let pinned: number | null = null;
  return {
    now: () => new Date(pinned ?? Date.now()),
    pin() {
      nextPinnedDay += DAY_MS;
      pinned = nextPinnedDay + 60_000;
    },
    advance(seconds: number) {
      if (pinned === null) throw new Error("pin the clock first");
      pinned += seconds * 1000;
    },
    release() {
      pinned = null;
    },
  };
}

const IP_SPACE = 254 * 255;
let ipCounter = randomInt(0, IP_SPACE);
/** A fresh address from TEST-NET-3 (RFC 5737): a rate-limit bucket no other test of this file uses. */
export function uniqueIp(): string {
  ipCounter = (ipCounter + 1) % IP_SPACE;
  return `203.0.${Math.floor(ipCounter / 255)}.${(ipCounter % 255) + 1}`;
}

/** A client whose requests claim to come from `ip` (believed only when the API trusts its proxy). */
export function clientFrom(api: ApiHarness, ip: string, accessToken?: string) {
  return createSesameClient({ url: api.url, headers: { "x-forwarded-for": ip }, ...(accessToken ? { accessToken } : {}) });
}

export interface TestUserOptions {
  username?: string;
  email?: string | null;
  password?: string | null;
  status?: "pendingJoin" | "active";
  locked?: boolean;
  groups?: string[];
}

export const DEFAULT_PASSWORD = "correct horse battery staple";

export async function insertUser(api: ApiHarness, tenantId: string, options: TestUserOptions = {}): Promise<UserRow> {
  const username = options.username ?? `user_${randomBytes(4).toString("hex")}`;
  const password = options.password === undefined ? DEFAULT_PASSWORD : options.password;
  const [row] = await api.deps.db
    .insert(users)
    .values({
      tenantId,
      username,
      usernameKey: usernameKey(username),
      email: options.email === undefined ? `${username.toLowerCase()}@example.test` : options.email,
      passwordHash: password === null ? null : await hashPassword(password),
      status: options.status ?? "active",
      locked: options.locked ?? false,
      lockedAt: options.locked ? api.deps.now() : null,
      groups: options.groups ?? [],
    })
    .returning();
  return row!;
}

/** A tenant (with admin client) and one user in it. */
export async function tenantWithUser(api: ApiHarness, settings?: Record<string, unknown>, userOptions?: TestUserOptions) {
  const tenant = await createTenantWithAdmin(api, settings);
  const user = await insertUser(api, tenant.tenant.id, userOptions);
  return { ...tenant, user };
}

/** Signs in over HTTP from a fresh IP; a user without a second factor gets tokens. */
export async function login(api: ApiHarness, tenantCode: string, identifier: string, password = DEFAULT_PASSWORD, client?: { device?: { id: string } }) {
  return tokensOf(await clientFrom(api, uniqueIp()).auth.login.mutate({ tenant: tenantCode, identifier, password, ...(client ? { client } : {}) }));
}

/** The tokens of a sign-in that was expected to need no second factor. */
export function tokensOf<T extends object>(result: T | MfaChallenge): T {
  if (isMfaChallenge(result)) throw new Error("expected session tokens, got an MFA challenge");
  return result;
}

export async function sessionRow(api: ApiHarness, sessionId: string) {
  const [row] = await api.deps.db.select().from(sessions).where(eq(sessions.id, sessionId));
  return row!;
}

export async function sessionEvents(api: ApiHarness, sessionId: string, type?: string) {
  return api.deps.db
    .select()
    .from(events)
    .where(and(eq(events.sessionId, sessionId), type ? eq(events.type, type) : undefined))
    .orderBy(asc(events.seq));
}

export function newEnrollmentCode(api: ApiHarness, tenantId: string, userId: string) {
  return createEnrollmentToken(api.deps, { tenantId, actor: { kind: "admin", id: null }, request: { ip: null, userAgent: null, countryCode: null } }, { userId });
}

/** What a failed call answered, for comparing refusals with each other. */
export function failure(error: unknown) {
  const e = error as { message?: string; data?: { code?: string; httpStatus?: number; retryAfterSeconds?: number } };
  return { code: e.data?.code ?? null, message: e.message ?? null, httpStatus: e.data?.httpStatus ?? null, retryAfterSeconds: e.data?.retryAfterSeconds };
}
