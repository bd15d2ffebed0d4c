/**
 * One-time links by email (README "Password reset and email verification"):
 * `auth.requestPasswordReset` → mail → `auth.resetPassword`, and `users.sendEmailVerification` /
 * `auth.requestEmailVerification` → mail → `auth.verifyEmail`.
 *
 * A link's token is 256 random bits, stored only as its SHA-256, short-lived, and used once: it is
 * consumed by an update that succeeds only while the token is unused and unexpired, in the same
 * transaction as what it does. A reset signs out every session of the user (receipt) through
 * SessionChange. Asking for a reset answers the same whether or not the account exists, and the
 * mail is sent after the answer, so the answer's timing does not depend on SMTP either.
 */
import type { RevocationReceipt } from "@sesame/core";
import { TRPCError } from "@trpc/server";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { sessions, tenants, users, userTokens, type TenantRow, type UserRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { rateLimitSource } from "../../lib/client-ip.ts";
import { randomSecret, sha256Hex } from "../../lib/crypto.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import { hashPassword } from "../../lib/passwords.ts";
import { recordEvent } from "../events/record-events.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { AdminScope, PublicScope, UserScope } from "../scope.ts";
import { runInTx } from "../transaction.ts";
import { findLoginUser, loginIdentifier } from "./login.ts";
import { RESET_IDENTIFIER_RULE, RESET_REDEEM_SOURCE_RULE, RESET_SOURCE_RULE, VERIFY_SEND_USER_RULE, countAttempt, throttled, type ThrottleBucket } from "./throttle.ts";

type Purpose = "password_reset" | "email_verification";

/** Long enough to open the mail, short enough that a link found later in a mailbox is dead. */
export const PASSWORD_RESET_TTL_SECONDS = 30 * 60;
/** Verification mail is often read later: a day. It proves an address only, grants no sign-in. */
export const EMAIL_VERIFICATION_TTL_SECONDS = 24 * 60 * 60;
const TTL: Record<Purpose, number> = { password_reset: PASSWORD_RESET_TTL_SECONDS, email_verification: EMAIL_VERIFICATION_TTL_SECONDS };

export const INVALID_LINK_MESSAGE = "This link is invalid, expired or already used; ask for a new one";
export const RESET_REQUESTED_MESSAGE = "If an account matches, a password reset link has been sent to its email address";
const RESET_THROTTLED = "Too many password reset requests";

function mailUnavailable(deps: AppDeps): void {
  if (!deps.mailer.enabled) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "Email is not configured on this server (SMTP_URL or SMTP_HOST, and SMTP_FROM)" });
}

/** `https://app.example/reset#token=…`: in the fragment, so the token never reaches a server log or a Referer. */
function linkFor(base: string | null, token: string): string | null {
  if (!base) return null;
  const url = new URL(base);
  url.hash = `token=${token}`;
  return url.toString();
}

/** Stores a new token for the user (earlier unused ones of the purpose die) and returns it with its mail. */
async function issueToken(deps: AppDeps, tenant: TenantRow, user: UserRow & { email: string }, purpose: Purpose) {
  const token = randomSecret(32);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + TTL[purpose] * 1000);
  await runInTx(deps, async ({ tx }) => {
    await tx
      .update(userTokens)
      .set({ expiresAt: now })
      .where(and(eq(userTokens.userId, user.id), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt), gt(userTokens.expiresAt, now)));
    await tx.insert(userTokens).values({ tenantId: tenant.id, userId: user.id, purpose, tokenHash: sha256Hex(token), email: user.email, createdAt: now, expiresAt });
  });
  const minutes = Math.round(TTL[purpose] / 60);
  const reset = purpose === "password_reset";
  const link = linkFor(reset ? tenant.settings.passwordResetUrl : tenant.settings.emailVerificationUrl, token);
  const action = reset ? "reset your password" : "confirm your email address";
  const text = [
    `Hello${user.firstName ? ` ${user.firstName}` : ""},`,
    "",
    link ? `To ${action} for ${tenant.name}, open this link:` : `To ${action} for ${tenant.name}, enter this code in the app:`,
    "",
    link ?? token,
    "",
    `It works once, for ${minutes >= 120 ? `${minutes / 60} hours` : `${minutes} minutes`}. If you did not ask for this, ignore this mail${reset ? ": your password stays as it is" : ""}.`,
  ].join("\n");
  return { expiresAt, message: { to: user.email, subject: reset ? `Reset your ${tenant.name} password` : `Confirm your email address for ${tenant.name}`, text } };
}

/**
 * `auth.requestPasswordReset {tenant, identifier}` (public). Always the same answer; a mail only
 * when the identifier names a live, unlocked user with an email.
 */
export async function requestPasswordReset(deps: AppDeps, scope: PublicScope, input: { tenant: string; identifier: string }): Promise<{ message: string }> {
  mailUnavailable(deps);
  const tenantCode = input.tenant.trim().toUpperCase();
  const identifier = loginIdentifier(input.identifier);
  const source = rateLimitSource(scope.request.ip);
  // Keyed by what was typed (hashed), so the throttle behaves alike for accounts that do not exist.
  const buckets: ThrottleBucket[] = [
    { name: "reset_source", key: `reset:src:${source}`, rule: RESET_SOURCE_RULE },
    { name: "reset_identifier", key: `reset:id:${sha256Hex(`${tenantCode}\n${identifier.kind}\n${identifier.value}`)}`, rule: RESET_IDENTIFIER_RULE },
  ];
  const { refused } = await countAttempt(deps, buckets);
  const { tenant, user } = await findLoginUser(deps, tenantCode, identifier);
  if (refused) throw await throttled(deps, refused, RESET_THROTTLED, { tenantId: tenant?.id ?? null, userId: user?.id ?? null, ip: scope.request.ip });
  if (tenant && user && user.email && !user.locked) {
    const { message } = await issueToken(deps, tenant, { ...user, email: user.email }, "password_reset");
    await recordEvent(deps.db, { tenantId: tenant.id, type: "user.password_reset_requested", actor: { kind: "public", id: null }, userId: user.id, data: { ip: scope.request.ip } }, deps.now());
    // Not awaited: the answer must not wait on (or reveal) the SMTP conversation.
    void deps.mailer.send(message).catch((error: unknown) => deps.logger.error({ err: error, userId: user.id }, "password reset mail failed"));
  }
  return { message: RESET_REQUESTED_MESSAGE };
}

const redeemBucket = (scope: PublicScope): ThrottleBucket => ({ name: "reset_redeem_source", key: `link:src:${rateLimitSource(scope.request.ip)}`, rule: RESET_REDEEM_SOURCE_RULE });

/** The live token row for `token`, or the one answer for every kind of bad link. */
async function liveToken(deps: AppDeps, token: string, purpose: Purpose) {
  const [row] = await deps.db
    .select({ token: userTokens, user: users })
    .from(userTokens)
    .innerJoin(users, eq(users.id, userTokens.userId))
    .where(and(eq(userTokens.tokenHash, sha256Hex(token)), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt), gt(userTokens.expiresAt, deps.now()), isNull(users.deletedAt)))
    .limit(1);
  if (!row) throw apiError("BAD_REQUEST", INVALID_LINK_MESSAGE, "token");
  return row;
}

/** Marks the token used, if it still is live; false when another request used it first. */
async function consume(tx: Tx, tokenId: string, now: Date): Promise<boolean> {
  const [used] = await tx
    .update(userTokens)
    .set({ usedAt: now })
    .where(and(eq(userTokens.id, tokenId), isNull(userTokens.usedAt), gt(userTokens.expiresAt, now)))
    .returning({ id: userTokens.id });
  return used !== undefined;
}

/**
 * `auth.resetPassword {token, newPassword}` (public): sets the password, signs out every session of
 * the user (cause `password_change`), kills the user's other reset links, and — the link having
 * reached the address — marks that email verified.
 */
export async function resetPassword(deps: AppDeps, scope: PublicScope, input: { token: string; newPassword: string }): Promise<{ revocation: RevocationReceipt }> {
  const { refused } = await countAttempt(deps, [redeemBucket(scope)]);
  if (refused) throw await throttled(deps, refused, "Too many attempts", { tenantId: null, ip: scope.request.ip });
  const { token, user } = await liveToken(deps, input.token, "password_reset");
  if (user.locked) throw apiError("BAD_REQUEST", INVALID_LINK_MESSAGE, "token");
  const passwordHash = await hashPassword(input.newPassword);
  const userScope = { tenantId: user.tenantId, actor: { kind: "user" as const, id: user.id }, request: scope.request };
  const { receipt } = await commitSessionChange(deps, async (change) => {
    const { tx, now } = change;
    if (!(await consume(tx, token.id, now))) throw apiError("BAD_REQUEST", INVALID_LINK_MESSAGE, "token");
    const [row] = await tx
      .update(users)
      .set({
        passwordHash,
        updatedAt: now,
        ...(user.email === token.email ? { emailVerifiedAt: user.emailVerifiedAt ?? now } : {}),
        ...(user.status === "pendingJoin" ? { status: "active" as const } : {}),
      })
      .where(and(eq(users.id, user.id), isNull(users.deletedAt), eq(users.locked, false)))
      .returning({ id: users.id });
    if (!row) throw apiError("BAD_REQUEST", INVALID_LINK_MESSAGE, "token");
    await tx
      .update(userTokens)
      .set({ expiresAt: now })
      .where(and(eq(userTokens.userId, user.id), eq(userTokens.purpose, "password_reset"), isNull(userTokens.usedAt), gt(userTokens.expiresAt, now)));
    await recordEvent(tx, { tenantId: user.tenantId, type: "user.password_reset", actor: userScope.actor, userId: user.id, data: { ip: scope.request.ip } }, now);
    await change.apply(userScope, eq(sessions.userId, user.id), { type: "lock", cause: "password_change" });
  });
  return { revocation: receipt };
}

/** `auth.verifyEmail {token}` (public): the address the link was sent to is verified, if it is still the user's. */
export async function verifyEmail(deps: AppDeps, scope: PublicScope, input: { token: string }): Promise<{ email: string; emailVerifiedAt: string }> {
  const { refused } = await countAttempt(deps, [redeemBucket(scope)]);
  if (refused) throw await throttled(deps, refused, "Too many attempts", { tenantId: null, ip: scope.request.ip });
  const { token, user } = await liveToken(deps, input.token, "email_verification");
  return runInTx(deps, async ({ tx, now }) => {
    if (!(await consume(tx, token.id, now))) throw apiError("BAD_REQUEST", INVALID_LINK_MESSAGE, "token");
    // Sent to an address the user no longer has: it proves nothing about the current one.
    const [row] = await tx
      .update(users)
      .set({ emailVerifiedAt: now, updatedAt: now })
      .where(and(eq(users.id, user.id), eq(users.email, token.email), isNull(users.deletedAt)))
      .returning({ emailVerifiedAt: users.emailVerifiedAt });
    if (!row) throw apiError("BAD_REQUEST", "This link was sent to an address the account no longer has; ask for a new one", "token");
    await recordEvent(tx, { tenantId: user.tenantId, type: "user.email_verified", actor: { kind: "user", id: user.id }, userId: user.id, data: { email: token.email } }, now);
    return { email: token.email, emailVerifiedAt: row.emailVerifiedAt!.toISOString() };
  });
}

/** Sends a verification link to the user's email; throttled per user (a mail costs the recipient). */
async function sendVerification(deps: AppDeps, tenantId: string, userId: string, actor: AdminScope["actor"]): Promise<{ sentTo: string; expiresAt: string }> {
  mailUnavailable(deps);
  const [row] = await deps.db
    .select({ tenant: tenants, user: users })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(users.id, userId), eq(users.tenantId, tenantId), isNull(users.deletedAt)))
    .limit(1);
  if (!row) throw notFound("User");
  const { tenant, user } = row;
  if (!user.email) throw apiError("BAD_REQUEST", "The user has no email address", "userId");
  const { refused } = await countAttempt(deps, [{ name: "verify_send_user", key: `verify:user:${user.id}`, rule: VERIFY_SEND_USER_RULE }]);
  if (refused) throw await throttled(deps, refused, "Too many verification mails for this user", { tenantId, userId, ip: null });
  const { expiresAt, message } = await issueToken(deps, tenant, { ...user, email: user.email }, "email_verification");
  // Awaited: the caller is told when the mail could not be handed to the SMTP server.
  await deps.mailer.send(message).catch((error: unknown) => {
    deps.logger.error({ err: error, userId }, "verification mail failed");
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The mail server did not take the message; try again later" });
  });
  await recordEvent(deps.db, { tenantId, type: "user.email_verification_sent", actor, userId, data: { email: user.email } }, deps.now());
  return { sentTo: user.email, expiresAt: expiresAt.toISOString() };
}

/** `users.sendEmailVerification {userId}` (admin). */
export const sendEmailVerification = (deps: AppDeps, scope: AdminScope, input: { userId: string }) => sendVerification(deps, scope.tenantId, input.userId, scope.actor);

/** `auth.requestEmailVerification` (user): to the caller's own address. */
export const requestOwnEmailVerification = (deps: AppDeps, scope: UserScope) => sendVerification(deps, scope.tenantId, scope.userId, scope.actor);
