/**
 * `auth.enroll`: redeems an enrollment code for a session. A guess is always scoped, by the code's
 * enrollment id or by the tenant code (README.md, "Decisions" › Enrollment); every refusal
 * (unknown id, wrong, expired, used, dead, user locked) answers the same UNAUTHORIZED.
 */
import type { ClientInfo, SessionTokens } from "@sesame/core";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { enrollmentTokens, tenants, users, type TenantRow, type UserRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { rateLimitSource } from "../../lib/client-ip.ts";
import { constantTimeEqual } from "../../lib/crypto.ts";
import { apiError } from "../../lib/errors.ts";
import { ENROLLMENT_MAX_FAILURES, hashEnrollmentCode } from "../enrollment/enrollment-codes.ts";
import { recordEvent } from "../events/record-events.ts";
import type { PublicScope } from "../scope.ts";
import { tenantIdByCode } from "../tenants/tenants.ts";
import { recordAuthEvent } from "./audit.ts";
import { signIn } from "./sign-in.ts";
import { ENROLL_THROTTLED, countAttempt, enrollSourceBucket, enrollTenantBucket, throttled, type ThrottleBucket } from "./throttle.ts";
import { transaction } from "../transaction.ts";

/** At least one of `enrollmentId` and `tenant` (the router checks it). */
export interface EnrollInput {
  /** From the enrollment link. */
  enrollmentId?: string | undefined;
  /** The tenant code, for a code typed without its link. */
  tenant?: string | undefined;
  token: string;
  client?: ClientInfo;
}

export const INVALID_ENROLLMENT_MESSAGE = "Invalid or expired enrollment code";

type Redemption = { ok: true; tenant: TenantRow; user: UserRow } | { ok: false; tenantId: string | null; userId: string | null };

export async function enrollWithCode(deps: AppDeps, scope: PublicScope, input: EnrollInput): Promise<SessionTokens> {
  const { request } = scope;
  const tenantCode = input.tenant?.trim().toUpperCase();
  const buckets: ThrottleBucket[] = [enrollSourceBucket(rateLimitSource(request.ip))];
  if (input.enrollmentId === undefined) buckets.push(enrollTenantBucket(tenantCode!));
  const { refused } = await countAttempt(deps, buckets);
  if (refused) {
    throw await throttled(deps, refused, ENROLL_THROTTLED, async () => ({ tenantId: tenantCode ? await tenantIdByCode(deps.db, tenantCode) : null, ip: request.ip }));
  }

  const enrollmentId = input.enrollmentId ?? (await findLiveCode(deps, tenantCode!, input.token));
  const redemption = enrollmentId ? await redeemEnrollmentCode(deps, enrollmentId, input.token, tenantCode) : { ok: false as const, tenantId: await tenantIdByCode(deps.db, tenantCode!), userId: null };
  if (!redemption.ok) {
    await recordAuthEvent(deps, { tenantId: redemption.tenantId, userId: redemption.userId, ip: request.ip }, "auth.sign_in_failed", {
      method: "enrollment",
      ...(input.enrollmentId ? { enrollmentId: input.enrollmentId } : {}),
    });
    throw apiError("UNAUTHORIZED", INVALID_ENROLLMENT_MESSAGE);
  }

  const { tenant, user } = redemption;
  return signIn(deps, scope, { tenant, user, provider: "enrollment", client: input.client, refusal: INVALID_ENROLLMENT_MESSAGE });
}

/** The tenant's live code with these digits, when the caller did not name it (HMAC lookup, indexed). */
async function findLiveCode(deps: AppDeps, tenantCode: string, code: string): Promise<string | null> {
  const now = deps.now();
  const rows = await deps.db
    .select({ id: enrollmentTokens.id })
    .from(enrollmentTokens)
    .innerJoin(tenants, eq(tenants.id, enrollmentTokens.tenantId))
    .where(
      and(
        eq(tenants.code, tenantCode),
        eq(enrollmentTokens.codeHash, hashEnrollmentCode(deps, code)),
        isNull(enrollmentTokens.usedAt),
        gt(enrollmentTokens.expiresAt, now),
        lt(enrollmentTokens.failedAttempts, ENROLLMENT_MAX_FAILURES),
      ),
    )
    .limit(2);
  // Creation keeps a tenant's live codes distinct; should two ever match, refuse rather than pick one.
  return rows.length === 1 ? rows[0]!.id : null;
}

/**
 * Checks the code and, when right, uses it up — in one transaction with the code's row locked, so
 * two requests with the right code cannot both redeem it. A wrong guess is committed (the count
 * must survive the refusal). If starting the session fails afterwards the code stays used: the
 * admin issues a new one, which is safer than a code that can be replayed.
 */
async function redeemEnrollmentCode(deps: AppDeps, enrollmentId: string, code: string, tenantCode: string | undefined): Promise<Redemption> {
  return transaction(deps, async (tx): Promise<Redemption> => {
    const now = deps.now();
    const [row] = await tx
      .select({ token: enrollmentTokens, user: users, tenant: tenants })
      .from(enrollmentTokens)
      .innerJoin(users, eq(users.id, enrollmentTokens.userId))
      .innerJoin(tenants, eq(tenants.id, enrollmentTokens.tenantId))
      .where(eq(enrollmentTokens.id, enrollmentId))
      .for("update", { of: enrollmentTokens })
      .limit(1);
    // A link of another tenant than the one named is no link at all.
    if (!row || (tenantCode !== undefined && row.tenant.code !== tenantCode)) return { ok: false, tenantId: null, userId: null };
    const { token, user, tenant } = row;
    // Attempts on a used, expired or dead code are not charged to the user (they are unbounded).
    const usable = !token.usedAt && token.expiresAt.getTime() > now.getTime() && token.failedAttempts < ENROLLMENT_MAX_FAILURES;
    if (!usable) return { ok: false, tenantId: tenant.id, userId: null };
    const refusal = { ok: false as const, tenantId: tenant.id, userId: user.id };
    if (!constantTimeEqual(hashEnrollmentCode(deps, code), token.codeHash)) {
      await tx
        .update(enrollmentTokens)
        .set({ failedAttempts: sql`${enrollmentTokens.failedAttempts} + 1` })
        .where(eq(enrollmentTokens.id, token.id));
      if (token.failedAttempts + 1 >= ENROLLMENT_MAX_FAILURES) {
        await recordEvent(tx, { tenantId: tenant.id, type: "enrollment_token.exhausted", actor: { kind: "public", id: null }, userId: user.id, data: { enrollmentId: token.id } }, now);
      }
      return refusal;
    }
    const [used] = await tx
      .update(enrollmentTokens)
      .set({ usedAt: now })
      .where(and(eq(enrollmentTokens.id, token.id), isNull(enrollmentTokens.usedAt)))
      .returning({ id: enrollmentTokens.id });
    if (!used || user.deletedAt || user.locked) return refusal;
    await recordEvent(tx, { tenantId: tenant.id, type: "enrollment_token.redeemed", actor: { kind: "user", id: user.id }, userId: user.id, data: { enrollmentId: token.id } }, now);
    return { ok: true, tenant, user };
  });
}
