/**
 * Events for attempts that changed nothing but an operator wants to see: `auth.sign_in_failed`,
 * `auth.refresh_failed` and `auth.throttled`. They carry the client IP and, for identifiers that
 * match no user, an HMAC of what was typed (so repeats can be told apart without storing it);
 * never a password, code or token.
 *
 * An attacker decides how many such attempts there are, so how many rows they make is bounded:
 * - only attempts that can be tied to a tenant are recorded (the log is read per tenant);
 * - attempts on an existing user or session are bounded by the throttles (a guess that a throttle
 *   refused is not recorded; each bucket's first refusal in a window is, once) and, for refreshes,
 *   by a per-session budget;
 * - attempts that match no user share a per-tenant budget; past it they are counted, not recorded.
 */
import type { RateLimitRule } from "@sesame/cache";
import type { AppDeps } from "../../deps.ts";
import { hmacHex } from "../../lib/crypto.ts";
import { recordEvent } from "../events/record-events.ts";

/** Recorded events per tenant for attempts that match no user. */
export const AUDIT_UNATTRIBUTED_RULE: RateLimitRule = { max: 100, windowSeconds: 15 * 60 };
/** Recorded `auth.refresh_failed` events per session (a stolen, revoked token replayed in a loop). */
export const AUDIT_REFRESH_RULE: RateLimitRule = { max: 10, windowSeconds: 15 * 60 };

export interface AuthAuditTarget {
  tenantId: string | null;
  userId?: string | null;
  sessionId?: string | null;
  ip: string | null;
  /** What was typed, when it matched no user (stored as an HMAC). */
  identifier?: string;
}

export type AuthEventType = "auth.sign_in_failed" | "auth.refresh_failed" | "auth.throttled" | "auth.mfa_failed";

export async function recordAuthEvent(
  deps: AppDeps,
  target: AuthAuditTarget,
  type: AuthEventType,
  data: Record<string, unknown> = {},
  budget?: { key: string; rule: RateLimitRule },
): Promise<void> {
  const { tenantId } = target;
  if (!tenantId) return;
  const spend = budget ?? (target.userId ? null : { key: `audit:unattributed:${tenantId}`, rule: AUDIT_UNATTRIBUTED_RULE });
  if (spend && !(await deps.limiter.limit(spend.key, spend.rule)).ok) return;
  const identifierHash = target.identifier === undefined ? undefined : hmacHex(deps.config.encryptionKey, `identifier:${target.identifier}`);
  try {
    await recordEvent(
      deps.db,
      {
        tenantId,
        type,
        actor: { kind: "public", id: null },
        userId: target.userId ?? null,
        sessionId: target.sessionId ?? null,
        data: { ...data, ip: target.ip, ...(identifierHash ? { identifierHash } : {}) },
      },
      deps.now(),
    );
  } catch (error) {
    // The refusal stands either way; a lost audit row must not turn a 401 into a 500.
    deps.logger.warn({ err: error, type }, "could not record an auth event");
  }
}
