/**
 * Second factors (MFA): the factor names sessions carry, the tenant policy's rule, and the shapes of
 * the sign-in challenge. Pure: the API stores and verifies, the edge reads `factors` from the cache.
 */
import { z } from "zod";
import { MFA_FACTORS } from "./mfa-factors.ts";

export const MFA_POLICIES = ["off", "optional", "required"] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];

/**
 * Whether a user must pass a second factor to sign in: policy `required` and the user in one of the
 * required groups (all users when none are named).
 *
 * @example
 * mfaRequiredFor({ mfaPolicy: "required", mfaRequiredGroups: ["admin"] }, ["admin"]) // true
 */
export function mfaRequiredFor(settings: { mfaPolicy?: MfaPolicy; mfaRequiredGroups?: string[] }, userGroups: string[]): boolean {
  if (settings.mfaPolicy !== "required") return false;
  const groups = settings.mfaRequiredGroups ?? [];
  return groups.length === 0 || groups.some((group) => userGroups.includes(group));
}

/**
 * What sign-in does after the first credential: `none` — start the session; `verify` — ask for the
 * enrolled factor; `enroll` — the policy requires a factor the user has not enrolled yet.
 */
export function signInFactorStep(input: { policy: MfaPolicy; required: boolean; enrolled: boolean }): "none" | "verify" | "enroll" {
  if (input.policy === "off") return "none";
  if (input.enrolled) return "verify";
  return input.required ? "enroll" : "none";
}

const time = z.iso.datetime();

/** `auth.login` (and an OIDC callback) when a factor is needed: no tokens yet, a challenge to answer. */
export const mfaChallengeSchema = z
  .object({
    mfaRequired: z.literal(true),
    /** Single-use, short-lived; give it to `auth.mfa.verify` (or `auth.mfa.enroll`/`confirm` when `enrollmentRequired`). */
    challengeToken: z.string(),
    factors: z.array(z.enum(MFA_FACTORS)),
    /** The policy requires a factor and the user has none: enrol one with the challenge token first. */
    enrollmentRequired: z.boolean(),
    expiresAt: time,
  })
  .meta({ id: "MfaChallenge" });
export type MfaChallenge = z.infer<typeof mfaChallengeSchema>;

/** A TOTP secret just enrolled: shown only here. */
export const totpEnrollmentSchema = z
  .object({ factor: z.literal("totp"), secret: z.string(), uri: z.string(), algorithm: z.literal("SHA1"), digits: z.literal(6), period: z.literal(30) })
  .meta({ id: "TotpEnrollment" });
export type TotpEnrollment = z.infer<typeof totpEnrollmentSchema>;

export const mfaStatusSchema = z
  .object({
    policy: z.enum(MFA_POLICIES),
    /** The policy requires a factor of this user. */
    required: z.boolean(),
    totp: z.object({ enrolled: z.boolean(), confirmedAt: time.nullable() }),
    recoveryCodesLeft: z.number().int(),
  })
  .meta({ id: "MfaStatus" });
export type MfaStatus = z.infer<typeof mfaStatusSchema>;

/**
 * Tells a sign-in's challenge from its tokens.
 *
 * @example
 * const result = await client.auth.login.mutate({ tenant, identifier, password });
 * if (isMfaChallenge(result)) await client.auth.mfa.verify.mutate({ challengeToken: result.challengeToken, code });
 */
export function isMfaChallenge<T extends object>(result: T | MfaChallenge): result is MfaChallenge {
  return (result as Partial<MfaChallenge>).mfaRequired === true;
}
