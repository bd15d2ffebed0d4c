/**
 * `auth.enroll`: redeems an enrollment code (8 digits, 5 minutes, single use) for a session.
 *
 * The link names the code's id; the user types (or the app carries) the digits. Wrong guesses are
 * counted on the code's row and the code dies after ENROLLMENT_MAX_FAILURES of them, so even the
 * right code is refused afterwards; a per-IP limit slows guessing across codes. Every refusal
 * (unknown id, wrong, expired, used, dead, user locked) answers the same UNAUTHORIZED.
 */
import type { ClientInfo, SessionTokens } from "@sesame/core";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { RequestInfo } from "../context.ts";
import type { AppDeps } from "../deps.ts";
import { enrollmentTokens, tenants, users, type TenantRow, type UserRow } from "../db/schema.ts";
import { constantTimeEqual } from "../lib/crypto.ts";
import { apiError } from "../lib/errors.ts";
import { throttleEnrollment } from "./auth-throttle.ts";
import { activateUser } from "./auth-users.ts";
import { ENROLLMENT_MAX_FAILURES, hashEnrollmentCode } from "./enrollment-tokens.ts";
import { recordEvent } from "./events.ts";
import { isAccountGone, startSession } from "./session-issuance.ts";

export interface EnrollInput {
  /** From the enrollment link. Optional (contract form `{ token }`), but with it failures count per code. */
  enrollmentId?: string | undefined;
  token: string;
  client?: ClientInfo;
}

export const INVALID_ENROLLMENT_MESSAGE = "Invalid or expired enrollment code";

type Redemption = { ok: true; tenant: TenantRow; user: UserRow } | { ok: false };

export async function enrollWithCode(deps: AppDeps, input: EnrollInput, request: RequestInfo): Promise<SessionTokens> {
  await throttleEnrollment(deps, request, input.enrollmentId !== undefined);
  const enrollmentId = input.enrollmentId ?? (await findLiveCode(deps, input.token));
  const redemption = enrollmentId ? await redeemEnrollmentCode(deps, enrollmentId, input.token) : { ok: false as const };
  if (!redemption.ok) throw apiError("UNAUTHORIZED", INVALID_ENROLLMENT_MESSAGE);

  const { tenant, user } = redemption;
  const actor = { kind: "user" as const, id: user.id };
  const started = await startSession(deps, { tenant, user, provider: "enrollment", client: input.client, request, trustReportedClient: false, actor }).catch(
    (error: unknown) => {
      throw isAccountGone(error) ? apiError("UNAUTHORIZED", INVALID_ENROLLMENT_MESSAGE) : error;
    },
  );
  await activateUser(deps, user, actor, "enrollment");
  const { session, accessToken, refreshToken, accessTokenExpiresAt } = started;
  return { session, accessToken, refreshToken, accessTokenExpiresAt };
}

/** The live code with these digits, when the caller did not name it (HMAC lookup, indexed). */
async function findLiveCode(deps: AppDeps, code: string): Promise<string | null> {
  const now = deps.now();
  const rows = await deps.db
    .select({ id: enrollmentTokens.id })
    .from(enrollmentTokens)
    .where(
      and(
        eq(enrollmentTokens.codeHash, hashEnrollmentCode(deps, code)),
        isNull(enrollmentTokens.usedAt),
        gt(enrollmentTokens.expiresAt, now),
        lt(enrollmentTokens.failedAttempts, ENROLLMENT_MAX_FAILURES),
      ),
    )
    .limit(2);
  // Creation keeps live codes distinct; should two ever match, refuse rather than pick one.
  return rows.length === 1 ? rows[0]!.id : null;
}

/**
 * Checks the code and, when right, uses it up — in one transaction with the code's row locked, so
 * two requests with the right code cannot both redeem it. A wrong guess is committed (the count
 * must survive the refusal). If starting the session fails afterwards the code stays used: the
 * admin issues a new one, which is safer than a code that can be replayed.
 */
async function redeemEnrollmentCode(deps: AppDeps, enrollmentId: string, code: string): Promise<Redemption> {
  return deps.db.transaction(async (tx): Promise<Redemption> => {
    const now = deps.now();
    const [row] = await tx
      .select({ token: enrollmentTokens, user: users, tenant: tenants })
      .from(enrollmentTokens)
      .innerJoin(users, eq(users.id, enrollmentTokens.userId))
      .innerJoin(tenants, eq(tenants.id, enrollmentTokens.tenantId))
      .where(eq(enrollmentTokens.id, enrollmentId))
      .for("update", { of: enrollmentTokens })
      .limit(1);
    if (!row) return { ok: false };
    const { token, user, tenant } = row;
    const usable = !token.usedAt && token.expiresAt.getTime() > now.getTime() && token.failedAttempts < ENROLLMENT_MAX_FAILURES;
    if (!usable) return { ok: false };
    if (!constantTimeEqual(hashEnrollmentCode(deps, code), token.codeHash)) {
      await tx
        .update(enrollmentTokens)
        .set({ failedAttempts: sql`${enrollmentTokens.failedAttempts} + 1` })
        .where(eq(enrollmentTokens.id, token.id));
      if (token.failedAttempts + 1 >= ENROLLMENT_MAX_FAILURES) {
        await recordEvent(tx, { tenantId: tenant.id, type: "enrollment_token.exhausted", actor: { kind: "public", id: null }, userId: user.id, data: { enrollmentId: token.id } }, now);
      }
      return { ok: false };
    }
    const [used] = await tx
      .update(enrollmentTokens)
      .set({ usedAt: now })
      .where(and(eq(enrollmentTokens.id, token.id), isNull(enrollmentTokens.usedAt)))
      .returning({ id: enrollmentTokens.id });
    if (!used || user.deletedAt || user.locked) return { ok: false };
    await recordEvent(tx, { tenantId: tenant.id, type: "enrollment_token.redeemed", actor: { kind: "user", id: user.id }, userId: user.id, data: { enrollmentId: token.id } }, now);
    return { ok: true, tenant, user };
  });
}
