/**
 * `auth.login` (the rules: README.md, "Decisions" › Sign-in, and "Security" › Throttles). Every
 * failure runs the same argon2id work before its one answer, so neither the answer nor its timing
 * says whether the account exists.
 */
import { usernameKey, type ClientInfo, type MfaChallenge, type SessionTokens } from "@sesame/core";
import { and, desc, eq, gt, isNotNull, isNull } from "drizzle-orm";
import { sessions, tenants, users, type TenantRow, type UserRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { rateLimitSource } from "../../lib/client-ip.ts";
import { sha256Hex } from "../../lib/crypto.ts";
import { apiError } from "../../lib/errors.ts";
import { hashPassword, passwordNeedsRehash, verifyPassword } from "../../lib/passwords.ts";
import type { PublicScope } from "../scope.ts";
import { tenantIdByCode } from "../tenants/tenants.ts";
import { recordAuthEvent, type AuthAuditTarget } from "./audit.ts";
import { signInOrChallenge } from "../mfa/challenges.ts";
import { LOGIN_THROTTLED, countAttempt, loginSourceBucket, passwordGuessBuckets, refundAttempts, throttled } from "./throttle.ts";

export interface LoginInput {
  tenant: string;
  identifier: string;
  password: string;
  client?: ClientInfo;
}

export const INVALID_CREDENTIALS_MESSAGE = "Invalid tenant, username or password";
/** How far back a sign-in makes a source "known" to the account (exempt from the account-wide limit). */
const KNOWN_SOURCE_DAYS = 30;

export async function loginWithPassword(deps: AppDeps, scope: PublicScope, input: LoginInput): Promise<SessionTokens | MfaChallenge> {
  const { request } = scope;
  const tenantCode = input.tenant.trim().toUpperCase();
  const identifier = loginIdentifier(input.identifier);
  const source = rateLimitSource(request.ip);

  const bySource = await countAttempt(deps, [loginSourceBucket(source)]);
  if (bySource.refused) throw await throttled(deps, bySource.refused, LOGIN_THROTTLED, async () => ({ tenantId: await tenantIdByCode(deps.db, tenantCode), ip: request.ip }));

  const { tenant, user } = await findLoginUser(deps, tenantCode, identifier);
  const audit: AuthAuditTarget = user ? { tenantId: user.tenantId, userId: user.id, ip: request.ip } : { tenantId: tenant?.id ?? null, ip: request.ip, identifier: identifier.value };
  const account = user ? `user:${user.id}` : `typed:${sha256Hex(`${tenantCode}\n${identifier.kind}\n${identifier.value}`)}`;
  const buckets = passwordGuessBuckets(account, source);

  const perSource = await countAttempt(deps, buckets.perSource);
  if (perSource.refused) {
    await refundAttempts(deps, perSource.counted);
    throw await throttled(deps, perSource.refused, LOGIN_THROTTLED, audit);
  }
  const perAccount = await countAttempt(deps, buckets.perAccount);
  if (perAccount.refused && !(user && (await isKnownSource(deps, user.id, source)))) {
    await refundAttempts(deps, [...perSource.counted, ...perAccount.counted]);
    throw await throttled(deps, perAccount.refused, LOGIN_THROTTLED, audit);
  }
  // A known source past the account-wide limit goes on; its attempt counts like any other.
  const counted = [...perSource.counted, ...perAccount.counted, ...(perAccount.refused ? [perAccount.refused] : [])];

  // Always one argon2id verification: against the user's hash, or the dummy one when there is none.
  const passwordOk = await verifyPassword(user?.passwordHash ?? null, input.password);
  if (!tenant || !user || !passwordOk || user.locked) {
    await recordAuthEvent(deps, audit, "auth.sign_in_failed", { reason: failureReason(tenant, user, passwordOk) });
    throw apiError("UNAUTHORIZED", INVALID_CREDENTIALS_MESSAGE);
  }
  await refundAttempts(deps, counted);

  // A lock or delete that lands between the check above and the session answers like a wrong password.
  // With a second factor due (enrolled, or required by the tenant), the answer is a challenge instead.
  const result = await signInOrChallenge(deps, scope, { tenant, user, provider: "password", ...(input.client ? { client: input.client } : {}) }, INVALID_CREDENTIALS_MESSAGE);
  if (user.passwordHash && passwordNeedsRehash(user.passwordHash)) await rehashQuietly(deps, user, input.password);
  return result;
}

export type LoginIdentifier = { kind: "email"; value: string } | { kind: "username"; value: string };

/** An email (stored lower-case) when it has `@`, else a username by its normal form. */
export function loginIdentifier(typed: string): LoginIdentifier {
  const trimmed = typed.trim();
  return trimmed.includes("@") ? { kind: "email", value: trimmed.toLowerCase() } : { kind: "username", value: usernameKey(trimmed) };
}

/** For the event only (the caller's answer is the same for all of them). */
function failureReason(tenant: TenantRow | null, user: UserRow | null, passwordOk: boolean) {
  if (!tenant) return "unknown_tenant";
  if (!user) return "unknown_user";
  if (!user.passwordHash) return "no_password";
  if (!passwordOk) return "wrong_password";
  return "user_locked";
}

/** The tenant, and the user by email or username key (not deleted) in it. */
export async function findLoginUser(deps: AppDeps, tenantCode: string, identifier: LoginIdentifier): Promise<{ tenant: TenantRow | null; user: UserRow | null }> {
  const match = identifier.kind === "email" ? eq(users.email, identifier.value) : eq(users.usernameKey, identifier.value);
  const [row] = await deps.db
    .select({ tenant: tenants, user: users })
    .from(tenants)
    .leftJoin(users, and(eq(users.tenantId, tenants.id), isNull(users.deletedAt), match))
    .where(eq(tenants.code, tenantCode))
    .limit(1);
  return { tenant: row?.tenant ?? null, user: row?.user ?? null };
}

/**
 * Whether the account signed in from this source (IPv4 address or IPv6 /64) in the last
 * KNOWN_SOURCE_DAYS: the real user's usual places, which strangers guessing from elsewhere
 * cannot shut out (OWASP's "device cookie" idea, keyed by network source).
 */
async function isKnownSource(deps: AppDeps, userId: string, source: string): Promise<boolean> {
  const since = new Date(deps.now().getTime() - KNOWN_SOURCE_DAYS * 24 * 3600 * 1000);
  const rows = await deps.db
    .select({ ip: sessions.ip })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.createdAt, since), isNotNull(sessions.ip)))
    .orderBy(desc(sessions.createdAt))
    .limit(200);
  return rows.some((row) => rateLimitSource(row.ip) === source);
}

/** Upgrades a hash made with older parameters; a failure only means it is tried again next time. */
async function rehashQuietly(deps: AppDeps, user: UserRow, password: string) {
  try {
    const passwordHash = await hashPassword(password);
    await deps.db.update(users).set({ passwordHash }).where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash!)));
  } catch (error) {
    deps.logger.warn({ err: error, userId: user.id }, "password rehash failed");
  }
}
