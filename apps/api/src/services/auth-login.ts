/**
 * `auth.login`: tenant code + username or email + password. Every failure (unknown tenant, unknown
 * user, no password, wrong password, locked user) answers the same UNAUTHORIZED after the same
 * argon2id work, so neither the answer nor its timing says whether the account exists.
 */
import type { ClientInfo, SessionTokens } from "@sesame/core";
import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { RequestInfo } from "../context.ts";
import type { AppDeps } from "../deps.ts";
import { tenants, users, type TenantRow, type UserRow } from "../db/schema.ts";
import { apiError } from "../lib/errors.ts";
import { throttleLogin } from "./auth-throttle.ts";
import { activateUser } from "./auth-users.ts";
import { hashPassword, passwordNeedsRehash, verifyPassword } from "./passwords.ts";
import { isAccountGone, startSession } from "./session-issuance.ts";

export interface LoginInput {
  tenant: string;
  identifier: string;
  password: string;
  client?: ClientInfo;
}

export const INVALID_CREDENTIALS_MESSAGE = "Invalid tenant, username or password";

export async function loginWithPassword(deps: AppDeps, input: LoginInput, request: RequestInfo): Promise<SessionTokens> {
  const tenantCode = input.tenant.trim().toUpperCase();
  const identifier = input.identifier.trim();
  await throttleLogin(deps, request, tenantCode, identifier);

  const found = await findLoginUser(deps, tenantCode, identifier);
  // Always one argon2id verification: against the user's hash, or the dummy one when there is none.
  const passwordOk = await verifyPassword(found?.user.passwordHash ?? null, input.password);
  if (!found || !passwordOk || found.user.locked) throw apiError("UNAUTHORIZED", INVALID_CREDENTIALS_MESSAGE);

  const { tenant, user } = found;
  const actor = { kind: "user" as const, id: user.id };
  // A lock or delete that lands between the check above and the session answers like a wrong password.
  const started = await startSession(deps, { tenant, user, provider: "password", client: input.client, request, trustReportedClient: false, actor }).catch(
    (error: unknown) => {
      throw isAccountGone(error) ? apiError("UNAUTHORIZED", INVALID_CREDENTIALS_MESSAGE) : error;
    },
  );
  await activateUser(deps, user, actor, "password");
  if (user.passwordHash && passwordNeedsRehash(user.passwordHash)) await rehashQuietly(deps, user, input.password);
  const { session, accessToken, refreshToken, accessTokenExpiresAt } = started;
  return { session, accessToken, refreshToken, accessTokenExpiresAt };
}

/** The user by username (case-insensitive) or email (stored lower-case), not deleted, in the tenant. */
async function findLoginUser(deps: AppDeps, tenantCode: string, identifier: string): Promise<{ tenant: TenantRow; user: UserRow } | null> {
  const lowered = identifier.toLowerCase();
  const [row] = await deps.db
    .select({ tenant: tenants, user: users })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(tenants.code, tenantCode), isNull(users.deletedAt), or(sql`lower(${users.username}) = ${lowered}`, eq(users.email, lowered))))
    // A username equal to another user's email: the username match wins, deterministically.
    .orderBy(sql`(lower(${users.username}) = ${lowered}) desc`)
    .limit(1);
  return row ?? null;
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
