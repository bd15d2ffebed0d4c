/**
 * The one check of a second-factor code, whoever asks (sign-in challenge, confirmation, step-up,
 * disable): throttled in the account's guess budget, TOTP with each step good once, or — where the
 * caller allows — a recovery code, used up. A failure is recorded as `auth.mfa_failed` (never the code).
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { mfaFactors, type MfaFactorRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { rateLimitSource } from "../../lib/client-ip.ts";
import { decryptString } from "../../lib/crypto.ts";
import { recordAuthEvent, type AuthAuditTarget } from "../auth/audit.ts";
import { countFactorGuess, refundAttempts } from "../auth/throttle.ts";
import { consumeRecoveryCode } from "./recovery-codes.ts";
import { matchTotpStep } from "./totp.ts";

export type FactorCheck = "totp" | "recovery_code" | null;

export async function checkFactorCode(
  deps: AppDeps,
  audit: AuthAuditTarget & { userId: string },
  input: { factor: MfaFactorRow; code: string; allowRecoveryCode: boolean },
): Promise<FactorCheck> {
  const counted = await countFactorGuess(deps, audit, rateLimitSource(audit.ip));
  const now = deps.now();
  const code = input.code.trim();
  let outcome: FactorCheck = null;
  let reason = "wrong_code";
  const step = matchTotpStep(decryptString(deps.config.encryptionKey, input.factor.secretEnc), code, now);
  if (step !== null) {
    // Only a step after the last one used: a code (or an older one still inside the window) works once.
    const [marked] = await deps.db
      .update(mfaFactors)
      .set({ lastUsedStep: step })
      .where(and(eq(mfaFactors.id, input.factor.id), or(isNull(mfaFactors.lastUsedStep), lt(mfaFactors.lastUsedStep, step))))
      .returning({ id: mfaFactors.id });
    if (marked) outcome = "totp";
    else reason = "code_replayed";
  } else if (input.allowRecoveryCode && (await consumeRecoveryCode(deps, input.factor.userId, code, now))) {
    outcome = "recovery_code";
  }
  if (outcome) {
    await refundAttempts(deps, counted);
    return outcome;
  }
  await recordAuthEvent(deps, audit, "auth.mfa_failed", { reason });
  return null;
}
