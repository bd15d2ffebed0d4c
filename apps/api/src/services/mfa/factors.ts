/**
 * `auth.mfa.*`, `auth.verifyFactor` and `users.resetFactors` (README "MFA"). One TOTP factor per
 * user: enrolled (secret shown once, kept encrypted), confirmed by a first code (which also hands
 * out the recovery codes), asked for at sign-in, used for step-up, disabled by the user with a code
 * or reset by an admin (which signs every session of the user out).
 */
import type { MfaStatus, RevocationReceipt, Session, SessionTokens, TotpEnrollment, User } from "@sesame/core";
import { mfaRequiredFor } from "@sesame/core";
import { and, eq, isNull, sql } from "drizzle-orm";
import { mfaFactors, mfaRecoveryCodes, sessions, signInChallenges, tenants, users, type MfaFactorRow, type TenantRow, type UserRow } from "../../db/schema.ts";
import type { Tx } from "../../db/client.ts";
import type { AppDeps } from "../../deps.ts";
import { encryptString } from "../../lib/crypto.ts";
import { apiError } from "../../lib/errors.ts";
import { recordEvent } from "../events/record-events.ts";
import { toPublicSession } from "../mappers.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { AdminScope, PublicScope, RequestOrigin, UserScope } from "../scope.ts";
import { runInTx } from "../transaction.ts";
import { loadPublicUser, lockUserRow } from "../users/queries.ts";
import { countChallengeFailure, finishChallenge, openChallenge, type OpenChallenge } from "./challenges.ts";
import { checkFactorCode } from "./factor-check.ts";
import { replaceRecoveryCodes, unusedRecoveryCodes } from "./recovery-codes.ts";
import { TOTP_PARAMETERS, newTotpSecret, totpUri } from "./totp.ts";

export const INVALID_CODE_MESSAGE = "Invalid code";

/** Who enrols or confirms: a signed-in user, or a sign-in whose challenge requires a first factor. */
export type FactorSubject = { kind: "user"; scope: UserScope } | { kind: "challenge"; token: string; request: RequestOrigin };

interface Subject {
  tenant: TenantRow;
  user: UserRow;
  request: RequestOrigin;
  /** The user's own session (user callers). */
  sessionId: string | null;
  challenge: OpenChallenge | null;
}

async function resolveSubject(deps: AppDeps, subject: FactorSubject): Promise<Subject> {
  if (subject.kind === "challenge") {
    const open = await openChallenge(deps, subject.token);
    return { tenant: open.tenant, user: open.user, request: subject.request, sessionId: null, challenge: open };
  }
  const { scope } = subject;
  const [row] = await deps.db
    .select({ tenant: tenants, user: users })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(users.id, scope.userId), eq(users.tenantId, scope.tenantId), isNull(users.deletedAt)))
    .limit(1);
  if (!row) throw apiError("UNAUTHORIZED", "Session is no longer valid");
  return { ...row, request: scope.request, sessionId: scope.sessionId, challenge: null };
}

const auditOf = (s: Pick<Subject, "tenant" | "user" | "request" | "sessionId">) => ({ tenantId: s.tenant.id, userId: s.user.id, sessionId: s.sessionId, ip: s.request.ip });

async function totpFactor(deps: Pick<AppDeps, "db">, userId: string): Promise<MfaFactorRow | null> {
  const [row] = await deps.db.select().from(mfaFactors).where(and(eq(mfaFactors.userId, userId), eq(mfaFactors.type, "totp"))).limit(1);
  return row ?? null;
}

function refuseWhenOff(tenant: TenantRow) {
  if ((tenant.settings.mfaPolicy ?? "optional") === "off") throw apiError("FORBIDDEN", "Second factors are off for this tenant (tenant setting mfaPolicy)");
}

/**
 * Starts (or restarts) a TOTP enrolment: a new secret, shown only in this answer. An unconfirmed
 * enrolment is replaced; a confirmed factor must be disabled (or reset by an admin) first.
 */
export async function enrollTotp(deps: AppDeps, input: FactorSubject): Promise<TotpEnrollment> {
  const subject = await resolveSubject(deps, input);
  refuseWhenOff(subject.tenant);
  const existing = await totpFactor(deps, subject.user.id);
  if (existing?.confirmedAt) throw apiError("CONFLICT", "A TOTP factor is already enrolled; disable it first");
  const secret = newTotpSecret();
  const now = deps.now();
  const secretEnc = encryptString(deps.config.encryptionKey, secret);
  const [row] = await deps.db
    .insert(mfaFactors)
    .values({ tenantId: subject.tenant.id, userId: subject.user.id, type: "totp", secretEnc, createdAt: now })
    .onConflictDoUpdate({ target: [mfaFactors.userId, mfaFactors.type], set: { secretEnc, createdAt: now, lastUsedStep: null }, setWhere: sql`${mfaFactors.confirmedAt} is null` })
    .returning({ id: mfaFactors.id });
  // A confirmation raced this request: the confirmed factor stays.
  if (!row) throw apiError("CONFLICT", "A TOTP factor is already enrolled; disable it first");
  const label = subject.user.email ?? subject.user.username;
  return { factor: "totp", secret, uri: totpUri(secret, { issuer: subject.tenant.name, label }), ...TOTP_PARAMETERS };
}

/**
 * Confirms the pending enrolment with a first code and returns the recovery codes. For a signed-in
 * user the current session gets the factor; for a sign-in challenge the session starts with it.
 */
export async function confirmTotp(deps: AppDeps, input: FactorSubject, { code }: { code: string }): Promise<{ recoveryCodes: string[]; tokens: SessionTokens | null }> {
  const subject = await resolveSubject(deps, input);
  refuseWhenOff(subject.tenant);
  const factor = await totpFactor(deps, subject.user.id);
  if (!factor) throw apiError("BAD_REQUEST", "No TOTP enrolment to confirm: call auth.mfa.enroll first", "code");
  if (factor.confirmedAt) throw apiError("CONFLICT", "The TOTP factor is already confirmed");
  const check = await checkFactorCode(deps, auditOf(subject), { factor, code, allowRecoveryCode: false });
  if (!check) {
    if (subject.challenge) await countChallengeFailure(deps, subject.challenge.challenge);
    throw apiError("UNAUTHORIZED", INVALID_CODE_MESSAGE);
  }
  const actor = { kind: subject.challenge ? ("public" as const) : ("user" as const), id: subject.challenge ? null : subject.user.id };
  const scope = { tenantId: subject.tenant.id, actor, request: subject.request };
  const { value: recoveryCodes } = await commitSessionChange(deps, async (change) => {
    const { tx, now } = change;
    const [confirmed] = await tx
      .update(mfaFactors)
      .set({ confirmedAt: now })
      .where(and(eq(mfaFactors.id, factor.id), isNull(mfaFactors.confirmedAt)))
      .returning({ id: mfaFactors.id });
    if (!confirmed) throw apiError("CONFLICT", "The TOTP factor is already confirmed");
    await recordEvent(tx, { tenantId: subject.tenant.id, type: "user.mfa_enrolled", actor, userId: subject.user.id, sessionId: subject.sessionId, data: { factor: "totp" } }, now);
    if (subject.sessionId) await change.raiseFactors(scope, subject.sessionId, ["totp"]);
    return replaceRecoveryCodes(deps, tx, subject.user.id, now);
  });
  const tokens = subject.challenge ? await finishChallenge(deps, { request: subject.request }, subject.challenge, ["totp"]) : null;
  return { recoveryCodes, tokens };
}

/** Answers a sign-in challenge with a TOTP code or a recovery code: the session starts with `factors: ["totp"]`. */
export async function verifyChallenge(deps: AppDeps, scope: PublicScope, input: { challengeToken: string; code: string }): Promise<SessionTokens> {
  const open = await openChallenge(deps, input.challengeToken);
  const factor = await totpFactor(deps, open.user.id);
  if (!factor?.confirmedAt) throw apiError("BAD_REQUEST", "This sign-in needs a factor enrolled first: auth.mfa.enroll with the challenge token", "challengeToken");
  const check = await checkFactorCode(deps, { tenantId: open.tenant.id, userId: open.user.id, ip: scope.request.ip }, { factor, code: input.code, allowRecoveryCode: true });
  if (!check) {
    await countChallengeFailure(deps, open.challenge);
    throw apiError("UNAUTHORIZED", INVALID_CODE_MESSAGE);
  }
  return finishChallenge(deps, scope, open, ["totp"]);
}

/** Step-up: a code raises the caller's session's factors; the edge sees them on the next request. */
export async function verifyFactor(deps: AppDeps, scope: UserScope, input: { code: string }): Promise<{ session: Session }> {
  const subject = await resolveSubject(deps, { kind: "user", scope });
  const factor = await totpFactor(deps, scope.userId);
  if (!factor?.confirmedAt) throw apiError("BAD_REQUEST", "No second factor enrolled: auth.mfa.enroll first", "code");
  const check = await checkFactorCode(deps, auditOf(subject), { factor, code: input.code, allowRecoveryCode: true });
  if (!check) throw apiError("UNAUTHORIZED", INVALID_CODE_MESSAGE);
  const { value } = await commitSessionChange(deps, (change) => change.raiseFactors(scope, scope.sessionId, ["totp"]));
  if (!value) throw apiError("UNAUTHORIZED", "Session is no longer valid");
  return { session: toPublicSession(value, { currentSessionId: scope.sessionId }) };
}

export async function mfaStatus(deps: AppDeps, scope: UserScope): Promise<MfaStatus> {
  const subject = await resolveSubject(deps, { kind: "user", scope });
  return statusOf(deps, subject.tenant, subject.user);
}

async function statusOf(deps: AppDeps, tenant: TenantRow, user: UserRow): Promise<MfaStatus> {
  const factor = await totpFactor(deps, user.id);
  return {
    policy: tenant.settings.mfaPolicy ?? "optional",
    required: mfaRequiredFor(tenant.settings, user.groups),
    totp: { enrolled: Boolean(factor?.confirmedAt), confirmedAt: factor?.confirmedAt?.toISOString() ?? null },
    recoveryCodesLeft: factor?.confirmedAt ? await unusedRecoveryCodes(deps.db, user.id) : 0,
  };
}

/** The checked factor of a signed-in user, or the right refusal. */
async function checkedOwnFactor(deps: AppDeps, subject: Subject, code: string): Promise<MfaFactorRow> {
  const factor = await totpFactor(deps, subject.user.id);
  if (!factor?.confirmedAt) throw apiError("BAD_REQUEST", "No second factor enrolled", "code");
  if (!(await checkFactorCode(deps, auditOf(subject), { factor, code, allowRecoveryCode: true }))) throw apiError("UNAUTHORIZED", INVALID_CODE_MESSAGE);
  return factor;
}

/** The user removes their factor with a current code (or a recovery code); refused while the policy requires one of them. */
export async function disableTotp(deps: AppDeps, scope: UserScope, input: { code: string }): Promise<MfaStatus> {
  const subject = await resolveSubject(deps, { kind: "user", scope });
  if (mfaRequiredFor(subject.tenant.settings, subject.user.groups)) throw apiError("FORBIDDEN", "The tenant requires a second factor of this user; an admin can reset it (users.resetFactors)");
  await checkedOwnFactor(deps, subject, input.code);
  await runInTx(deps, async ({ tx, now }) => {
    await deleteFactors(tx, scope.userId);
    await recordEvent(tx, { tenantId: scope.tenantId, type: "user.mfa_disabled", actor: scope.actor, userId: scope.userId, sessionId: scope.sessionId }, now);
  });
  return statusOf(deps, subject.tenant, subject.user);
}

/** A new set of recovery codes (the old ones stop working), with a current code. */
export async function regenerateRecoveryCodes(deps: AppDeps, scope: UserScope, input: { code: string }): Promise<{ recoveryCodes: string[] }> {
  const subject = await resolveSubject(deps, { kind: "user", scope });
  await checkedOwnFactor(deps, subject, input.code);
  const recoveryCodes = await runInTx(deps, async ({ tx, now }) => {
    await recordEvent(tx, { tenantId: scope.tenantId, type: "user.mfa_recovery_codes_renewed", actor: scope.actor, userId: scope.userId, sessionId: scope.sessionId }, now);
    return replaceRecoveryCodes(deps, tx, scope.userId, now);
  });
  return { recoveryCodes };
}

/**
 * Admin: removes the user's factors and recovery codes, voids pending sign-in challenges, and signs
 * every session out (cause `factors_reset`) — whoever held the lost authenticator keeps nothing.
 */
export async function resetUserFactors(deps: AppDeps, scope: AdminScope, input: { userId: string }): Promise<{ user: User; revocation: RevocationReceipt }> {
  const { value, receipt } = await commitSessionChange(deps, async (change) => {
    const { tx, now } = change;
    const user = await lockUserRow(tx, scope.tenantId, input.userId);
    await deleteFactors(tx, user.id);
    await tx.update(signInChallenges).set({ usedAt: now }).where(and(eq(signInChallenges.userId, user.id), isNull(signInChallenges.usedAt)));
    await recordEvent(tx, { tenantId: scope.tenantId, type: "user.mfa_reset", actor: scope.actor, userId: user.id }, now);
    await change.apply(scope, eq(sessions.userId, user.id), { type: "lock", cause: "factors_reset" });
    return loadPublicUser(tx, user, now);
  });
  return { user: value, revocation: receipt };
}

async function deleteFactors(tx: Tx, userId: string) {
  await tx.delete(mfaFactors).where(eq(mfaFactors.userId, userId));
  await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
}
