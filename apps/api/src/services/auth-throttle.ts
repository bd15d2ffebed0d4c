/**
 * Throttles for the guessable credentials: passwords and enrollment codes. Every attempt counts
 * (the limiter port has no "peek"), so the limits leave room for honest retries. Keys are hashed:
 * identifiers typed by strangers are not stored in the cache in clear.
 */
import type { RequestInfo } from "../context.ts";
import type { AppDeps } from "../deps.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { tooManyRequests } from "../lib/errors.ts";
import type { RateLimitRule } from "./rate-limit.ts";

/** Per account (tenant + identifier, whether or not it exists): a password guess every 90 s on average. */
export const LOGIN_ACCOUNT_RULE: RateLimitRule = { max: 10, windowSeconds: 15 * 60 };
/** Per client IP, across accounts (credential stuffing); generous for offices behind one NAT. */
export const LOGIN_IP_RULE: RateLimitRule = { max: 60, windowSeconds: 60 };
/** Per client IP for enrollment codes; each code also dies after ENROLLMENT_MAX_FAILURES. */
export const ENROLL_IP_RULE: RateLimitRule = { max: 30, windowSeconds: 10 * 60 };
/**
 * Service-wide, for codes redeemed without their enrollment id (contract form `{ token }`): such a
 * guess cannot be charged to one code, so all of them share one budget. At 600 per 5 minutes a
 * distributed guesser facing 100 live codes succeeds with probability ~6e-4 per window; links that
 * carry the id are not affected by it.
 */
export const ENROLL_UNSCOPED_RULE: RateLimitRule = { max: 600, windowSeconds: 5 * 60 };
/** Per user for `auth.changePassword`: a stolen access token must not become a password oracle. */
export const CHANGE_PASSWORD_RULE: RateLimitRule = { max: 10, windowSeconds: 15 * 60 };

const clientKey = (request: RequestInfo) => request.ip ?? "unknown";

/**
 * Consumes one attempt from each bucket in turn and throws TOO_MANY_REQUESTS (with the retry
 * time) at the first that is exhausted. The answer is the same whichever bucket refused, so a
 * throttled attempt says nothing about the account.
 */
async function consume(deps: Pick<AppDeps, "limiter">, buckets: [string, RateLimitRule][], what: string): Promise<void> {
  for (const [key, rule] of buckets) {
    const decision = await deps.limiter.limit(key, rule);
    if (!decision.ok) throw tooManyRequests(what, decision.retryAfterSeconds);
  }
}

export function throttleLogin(deps: Pick<AppDeps, "limiter">, request: RequestInfo, tenantCode: string, identifier: string) {
  const account = sha256Hex(`${tenantCode.toUpperCase()}\n${identifier.toLowerCase()}`);
  return consume(
    deps,
    [
      [`login:ip:${clientKey(request)}`, LOGIN_IP_RULE],
      [`login:account:${account}`, LOGIN_ACCOUNT_RULE],
    ],
    "Too many sign-in attempts",
  );
}

export function throttleEnrollment(deps: Pick<AppDeps, "limiter">, request: RequestInfo, scoped: boolean) {
  const buckets: [string, RateLimitRule][] = [[`enroll:ip:${clientKey(request)}`, ENROLL_IP_RULE]];
  if (!scoped) buckets.push(["enroll:unscoped", ENROLL_UNSCOPED_RULE]);
  return consume(deps, buckets, "Too many enrollment attempts");
}

export function throttlePasswordChange(deps: Pick<AppDeps, "limiter">, userId: string) {
  return consume(deps, [[`password:user:${userId}`, CHANGE_PASSWORD_RULE]], "Too many password change attempts");
}
