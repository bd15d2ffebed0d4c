/**
 * `auth.refresh`: the rotation (rotate-refresh-token.ts), with its failures recorded
 * (`auth.refresh_failed`) when the token belongs to a session — a revoked, rotated or expired one:
 * someone holds a token that no longer works. Tokens that match nothing are not recorded (there is
 * nothing to tie them to).
 *
 * The event is written after the answer has gone, not before: looking the token up and writing a
 * row only for known tokens would otherwise make "revoked" slower than "never existed".
 */
import type { SessionTokens } from "@sesame/core";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { refreshTokens, sessions } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import type { PublicScope, RequestOrigin } from "../scope.ts";
import { hashRefreshToken } from "../tokens/refresh-tokens.ts";
import { AUDIT_REFRESH_RULE, recordAuthEvent } from "./audit.ts";
import { rotateRefreshToken } from "./rotate-refresh-token.ts";

export async function refreshSession(deps: AppDeps, scope: PublicScope, input: { refreshToken: string }): Promise<SessionTokens> {
  try {
    return await rotateRefreshToken(deps, scope, input);
  } catch (error) {
    if (error instanceof TRPCError && error.code === "UNAUTHORIZED") {
      setImmediate(() => void auditRefreshFailure(deps, input.refreshToken, scope.request));
    }
    throw error;
  }
}

async function auditRefreshFailure(deps: AppDeps, refreshToken: string, request: RequestOrigin): Promise<void> {
  try {
    const [row] = await deps.db
      .select({ sessionId: sessions.id, tenantId: sessions.tenantId, userId: sessions.userId, state: sessions.state, rotatedAt: refreshTokens.rotatedAt, revokedAt: refreshTokens.revokedAt })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, hashRefreshToken(refreshToken)))
      .limit(1);
    if (!row) return;
    await recordAuthEvent(
      deps,
      { tenantId: row.tenantId, userId: row.userId, sessionId: row.sessionId, ip: request.ip },
      "auth.refresh_failed",
      { sessionState: row.state, tokenRotated: row.rotatedAt !== null, tokenRevoked: row.revokedAt !== null },
      { key: `audit:refresh:${row.sessionId}`, rule: AUDIT_REFRESH_RULE },
    );
  } catch (error) {
    deps.logger.warn({ err: error }, "could not record a failed refresh");
  }
}
