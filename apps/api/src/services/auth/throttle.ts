/**
 * Throttles for the guessable credentials: passwords, second-factor codes and enrollment codes. Keys are hashed or are
 * ids: identifiers typed by strangers are not stored in the cache in clear. IP-keyed buckets count
 * per source (IPv4 address or IPv6 /64, `rateLimitSource`).
 *
 * Password guesses follow OWASP's advice against both guessing and lock-out: the tight limits are
 * per account *and source*, so a stranger guessing from somewhere else never locks the real user
 * out; the account alone is limited only at a much higher level, and sources the account has
 * signed in from before stay exempt from that one (see login.ts). Each has a day-long twin,
 * so repeated failures back off from minutes to a day. Guesses are counted before the password
 * is checked (so parallel requests cannot slip past) and a right password takes its count back.
 */
import type { RateLimitDecision, RateLimitRule } from "@sesame/cache";
import type { AppDeps } from "../../deps.ts";
import { tooManyRequests } from "../../lib/errors.ts";
import { recordAuthEvent, type AuthAuditTarget } from "./audit.ts";

const MINUTE = 60;
const DAY = 24 * 60 * MINUTE;

/** Sign-in attempts per source, across accounts (credential stuffing); generous for offices behind one NAT. */
export const LOGIN_SOURCE_RULE: RateLimitRule = { max: 60, windowSeconds: MINUTE };
/** Wrong passwords per account per source: one guess every 90 s on average... */
export const LOGIN_ACCOUNT_SOURCE_RULE: RateLimitRule = { max: 10, windowSeconds: 15 * MINUTE };
/** ...and at most 30 a day, after which that source waits for the next day. */
export const LOGIN_ACCOUNT_SOURCE_DAY_RULE: RateLimitRule = { max: 30, windowSeconds: DAY };
/** Wrong passwords per account from all sources together (a distributed guesser); known sources are exempt. */
export const LOGIN_ACCOUNT_RULE: RateLimitRule = { max: 100, windowSeconds: 15 * MINUTE };
const LOGIN_ACCOUNT_DAY_RULE: RateLimitRule = { max: 300, windowSeconds: DAY };
/** Enrollment attempts per source; a code redeemed by its id also dies after ENROLLMENT_MAX_FAILURES. */
export const ENROLL_SOURCE_RULE: RateLimitRule = { max: 30, windowSeconds: 10 * MINUTE };
/**
 * Code-only enrollment attempts per tenant (`{tenant, token}`): such a guess matches any live code of
 * the tenant, so the tenant's codes share this budget. 14,400 guesses a day against 10 live codes is
 * a 0.14 % chance a day; links that carry the enrollment id never touch it.
 */
export const ENROLL_TENANT_RULE: RateLimitRule = { max: 100, windowSeconds: 10 * MINUTE };
/** Per user for `auth.changePassword`: a stolen access token must not become a password oracle. */
export const CHANGE_PASSWORD_RULE: RateLimitRule = { max: 10, windowSeconds: 15 * MINUTE };

/** `auth.requestPasswordReset` per source (each may send a mail to someone). */
export const RESET_SOURCE_RULE: RateLimitRule = { max: 20, windowSeconds: 15 * MINUTE };
/** `auth.requestPasswordReset` per typed identifier (hashed), existing or not: a mailbox is not flooded. */
export const RESET_IDENTIFIER_RULE: RateLimitRule = { max: 5, windowSeconds: 60 * MINUTE };
/** `auth.resetPassword` and `auth.verifyEmail` per source: tokens are 256 bits, this bounds the work (a reset hashes). */
export const RESET_REDEEM_SOURCE_RULE: RateLimitRule = { max: 30, windowSeconds: 15 * MINUTE };
/** Verification mails per user (`users.sendEmailVerification`, `auth.requestEmailVerification`). */
export const VERIFY_SEND_USER_RULE: RateLimitRule = { max: 5, windowSeconds: 60 * MINUTE };

export interface ThrottleBucket {
  /** Named in `auth.throttled` events. */
  name: string;
  key: string;
  rule: RateLimitRule;
}

export interface CountedAttempt {
  bucket: ThrottleBucket;
  decision: RateLimitDecision;
}

/** Counts one attempt in each bucket in turn; the first bucket that refuses stops it. */
export async function countAttempt(deps: Pick<AppDeps, "limiter">, buckets: ThrottleBucket[]): Promise<{ counted: CountedAttempt[]; refused: CountedAttempt | null }> {
  const counted: CountedAttempt[] = [];
  for (const bucket of buckets) {
    const decision = await deps.limiter.limit(bucket.key, bucket.rule);
    const attempt = { bucket, decision };
    if (!decision.ok) return { counted, refused: attempt };
    counted.push(attempt);
  }
  return { counted, refused: null };
}

/** Takes counted attempts back (the credential was right: not a guess). */
export async function refundAttempts(deps: Pick<AppDeps, "limiter">, counted: CountedAttempt[]): Promise<void> {
  await Promise.all(counted.map(({ bucket, decision }) => deps.limiter.refund(bucket.key, bucket.rule, decision)));
}

/**
 * The TOO_MANY_REQUESTS answer for a refused attempt — the same whichever bucket refused, so it
 * says nothing about the account. The first refusal of a bucket in its window is recorded as
 * `auth.throttled` (later ones in that window are not: an attacker cannot flood the log through it).
 */
export async function throttled(deps: AppDeps, refused: CountedAttempt, what: string, audit: AuthAuditTarget | (() => Promise<AuthAuditTarget>)) {
  const { bucket, decision } = refused;
  if (decision.count === bucket.rule.max + 1) {
    await recordAuthEvent(deps, typeof audit === "function" ? await audit() : audit, "auth.throttled", { bucket: bucket.name, limit: bucket.rule.max, windowSeconds: bucket.rule.windowSeconds, retryAfterSeconds: decision.retryAfterSeconds });
  }
  return tooManyRequests(what, decision.retryAfterSeconds);
}

export const LOGIN_THROTTLED = "Too many sign-in attempts";
export const ENROLL_THROTTLED = "Too many enrollment attempts";

export const loginSourceBucket = (source: string): ThrottleBucket => ({ name: "login_source", key: `login:src:${source}`, rule: LOGIN_SOURCE_RULE });

/** `account` is `user:<id>` for an existing user (username and email share it) or a hash of what was typed. */
export function passwordGuessBuckets(account: string, source: string): { perSource: ThrottleBucket[]; perAccount: ThrottleBucket[] } {
  return {
    perSource: [
      { name: "login_account_source", key: `login:acct-src:${account}:${source}`, rule: LOGIN_ACCOUNT_SOURCE_RULE },
      { name: "login_account_source_day", key: `login:acct-src-day:${account}:${source}`, rule: LOGIN_ACCOUNT_SOURCE_DAY_RULE },
    ],
    perAccount: [
      { name: "login_account", key: `login:acct:${account}`, rule: LOGIN_ACCOUNT_RULE },
      { name: "login_account_day", key: `login:acct-day:${account}`, rule: LOGIN_ACCOUNT_DAY_RULE },
    ],
  };
}

export const enrollSourceBucket = (source: string): ThrottleBucket => ({ name: "enroll_source", key: `enroll:src:${source}`, rule: ENROLL_SOURCE_RULE });
export const enrollTenantBucket = (tenantCode: string): ThrottleBucket => ({ name: "enroll_tenant", key: `enroll:tenant:${tenantCode}`, rule: ENROLL_TENANT_RULE });

export async function throttlePasswordChange(deps: AppDeps, audit: AuthAuditTarget & { userId: string }) {
  const { refused } = await countAttempt(deps, [{ name: "change_password", key: `password:user:${audit.userId}`, rule: CHANGE_PASSWORD_RULE }]);
  if (refused) throw await throttled(deps, refused, "Too many password change attempts", audit);
}

export const FACTOR_THROTTLED = "Too many second-factor attempts";

/**
 * A second-factor code (TOTP or recovery code) is a guess like a password: it counts in the same
 * account buckets, so one budget of guesses per account and source covers both credentials. The
 * caller refunds the attempts when the code was right. No known-source exemption here: whoever
 * types codes already holds the password.
 */
export async function countFactorGuess(deps: AppDeps, audit: AuthAuditTarget & { userId: string }, source: string): Promise<CountedAttempt[]> {
  const buckets = passwordGuessBuckets(`user:${audit.userId}`, source);
  const perSource = await countAttempt(deps, buckets.perSource);
  if (perSource.refused) {
    await refundAttempts(deps, perSource.counted);
    throw await throttled(deps, perSource.refused, FACTOR_THROTTLED, audit);
  }
  const perAccount = await countAttempt(deps, buckets.perAccount);
  if (perAccount.refused) {
    await refundAttempts(deps, [...perSource.counted, ...perAccount.counted]);
    throw await throttled(deps, perAccount.refused, FACTOR_THROTTLED, audit);
  }
  return [...perSource.counted, ...perAccount.counted];
}
