/**
 * Sign-in challenges: the first credential (a password, an OIDC callback) checked out and the
 * tenant's policy or the user's enrolment asks for a second factor. The answer is a challenge token
 * instead of session tokens; `auth.mfa.verify` (or `auth.mfa.confirm` for a first enrolment) takes
 * the token and a code and starts the session with `factors` set. The token is 256 bits, stored as
 * SHA-256, good for CHALLENGE_TTL_SECONDS, once, and dies after CHALLENGE_MAX_FAILURES wrong codes
 * (the account's guess budget applies as well: auth/throttle.ts).
 */
import { mfaRequiredFor, signInFactorStep, type ClientInfo, type MfaChallenge, type MfaFactor, type ProviderTokens, type SessionTokens } from "@sesame/core";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { mfaFactors, signInChallenges, tenants, users, type SignInChallengeRow, type TenantRow, type UserRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { decryptString, encryptString, randomSecret, sha256Hex } from "../../lib/crypto.ts";
import { apiError } from "../../lib/errors.ts";
import { signIn } from "../auth/sign-in.ts";
import type { PublicScope } from "../scope.ts";

export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const CHALLENGE_MAX_FAILURES = 5;
export const INVALID_CHALLENGE_MESSAGE = "Invalid or expired sign-in challenge";

export interface FirstFactor {
  tenant: TenantRow;
  user: UserRow;
  provider: string;
  providerUid?: string | null;
  providerTokens?: ProviderTokens | null;
  client?: ClientInfo;
}

/** What sign-in does after the first factor, from the tenant's policy and the user's confirmed factor. */
export async function factorStepFor(deps: AppDeps, tenant: TenantRow, user: UserRow) {
  const policy = tenant.settings.mfaPolicy ?? "optional";
  if (policy === "off") return "none" as const;
  const [factor] = await deps.db
    .select({ id: mfaFactors.id })
    .from(mfaFactors)
    .where(and(eq(mfaFactors.userId, user.id), sql`${mfaFactors.confirmedAt} is not null`))
    .limit(1);
  return signInFactorStep({ policy, required: mfaRequiredFor(tenant.settings, user.groups), enrolled: Boolean(factor) });
}

/**
 * The sign-in's answer once the first factor checked out: a session, or a challenge when a second
 * factor is due (enrolled, or required by the policy).
 */
export async function signInOrChallenge(deps: AppDeps, scope: PublicScope, first: FirstFactor, refusal: string): Promise<SessionTokens | MfaChallenge> {
  const step = await factorStepFor(deps, first.tenant, first.user);
  if (step === "none") return signIn(deps, scope, { ...first, refusal });
  return createChallenge(deps, first, step === "enroll");
}

async function createChallenge(deps: AppDeps, first: FirstFactor, enrollmentRequired: boolean): Promise<MfaChallenge> {
  const token = `sesame_mfa_${randomSecret()}`;
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_SECONDS * 1000);
  await deps.db.insert(signInChallenges).values({
    tenantId: first.tenant.id,
    userId: first.user.id,
    tokenHash: sha256Hex(token),
    provider: first.provider,
    providerUid: first.providerUid ?? null,
    providerTokensEnc: first.providerTokens ? encryptString(deps.config.encryptionKey, JSON.stringify(first.providerTokens)) : null,
    client: first.client ?? null,
    createdAt: now,
    expiresAt,
  });
  return { mfaRequired: true, challengeToken: token, factors: ["totp"], enrollmentRequired, expiresAt: expiresAt.toISOString() };
}

export interface OpenChallenge {
  challenge: SignInChallengeRow;
  tenant: TenantRow;
  user: UserRow;
}

/** A live challenge (unused, unexpired, not failed out) with its tenant and user, or UNAUTHORIZED. */
export async function openChallenge(deps: AppDeps, token: string): Promise<OpenChallenge> {
  const [row] = await deps.db
    .select({ challenge: signInChallenges, tenant: tenants, user: users })
    .from(signInChallenges)
    .innerJoin(users, eq(users.id, signInChallenges.userId))
    .innerJoin(tenants, eq(tenants.id, signInChallenges.tenantId))
    .where(
      and(
        eq(signInChallenges.tokenHash, sha256Hex(token)),
        isNull(signInChallenges.usedAt),
        gt(signInChallenges.expiresAt, deps.now()),
        lt(signInChallenges.failedAttempts, CHALLENGE_MAX_FAILURES),
        isNull(users.deletedAt),
      ),
    )
    .limit(1);
  if (!row || row.user.locked) throw apiError("UNAUTHORIZED", INVALID_CHALLENGE_MESSAGE);
  return row;
}

/** A wrong code against the challenge: after CHALLENGE_MAX_FAILURES it is dead and sign-in starts over. */
export async function countChallengeFailure(deps: AppDeps, challenge: SignInChallengeRow): Promise<void> {
  await deps.db
    .update(signInChallenges)
    .set({ failedAttempts: sql`${signInChallenges.failedAttempts} + 1` })
    .where(eq(signInChallenges.id, challenge.id));
}

/** Uses the challenge up (one winner if two requests race) and starts the session with `factors`. */
export async function finishChallenge(deps: AppDeps, scope: PublicScope, open: OpenChallenge, factors: MfaFactor[]): Promise<SessionTokens> {
  const { challenge, tenant, user } = open;
  const [used] = await deps.db
    .update(signInChallenges)
    .set({ usedAt: deps.now() })
    .where(and(eq(signInChallenges.id, challenge.id), isNull(signInChallenges.usedAt)))
    .returning({ id: signInChallenges.id });
  if (!used) throw apiError("UNAUTHORIZED", INVALID_CHALLENGE_MESSAGE);
  return signIn(deps, scope, {
    tenant,
    user,
    provider: challenge.provider,
    providerUid: challenge.providerUid,
    providerTokens: challenge.providerTokensEnc ? (JSON.parse(decryptString(deps.config.encryptionKey, challenge.providerTokensEnc)) as ProviderTokens) : null,
    factors,
    ...(challenge.client ? { client: challenge.client } : {}),
    refusal: INVALID_CHALLENGE_MESSAGE,
  });
}
