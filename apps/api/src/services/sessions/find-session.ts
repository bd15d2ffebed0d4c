/**
 * Finding one of a user's sessions by id, or by a token the session issued: an access token (its
 * `sid` claim) or a refresh token (by SHA-256). Whatever does not lead to a live session of that
 * user in the caller's tenant answers NOT_FOUND, the same for a forged token as for a random id.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { AppDeps } from "../../deps.ts";
import type { DbOrTx } from "../../db/client.ts";
import { refreshTokens, sessions, type SessionRow } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { verifyAccessToken } from "../tokens/access-tokens.ts";
import { hashRefreshToken, REFRESH_TOKEN_PREFIX } from "../tokens/refresh-tokens.ts";

export type SessionRef = { userId: string; sessionId: string } | { userId: string; token: string };

/**
 * The access-token part needs no database, so callers resolve it before opening a transaction.
 * Any refresh token the session was ever given identifies it, rotated or not: an admin tracking
 * down a device holds whatever token it last sent.
 */
export async function resolveSessionId(deps: Pick<AppDeps, "config" | "keys" | "now">, db: DbOrTx, tenantId: string, ref: SessionRef): Promise<string | null> {
  if ("sessionId" in ref) return ref.sessionId;
  if (ref.token.startsWith(REFRESH_TOKEN_PREFIX)) {
    const [row] = await db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashRefreshToken(ref.token)))
      .limit(1);
    return row?.sessionId ?? null;
  }
  const verified = await verifyAccessToken(deps, ref.token, deps.now());
  if (!verified.ok || verified.claims.tid !== tenantId || verified.claims.sub !== ref.userId) return null;
  return verified.claims.sid;
}

export const sessionByIdQuery = (db: DbOrTx, tenantId: string, userId: string, sessionId: string) =>
  db
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), eq(sessions.tenantId, tenantId), isNull(sessions.deletedAt)))
    .limit(1);

export async function findSession(deps: Pick<AppDeps, "config" | "keys" | "now">, db: DbOrTx, tenantId: string, ref: SessionRef): Promise<SessionRow> {
  const sessionId = await resolveSessionId(deps, db, tenantId, ref);
  const [row] = sessionId ? await sessionByIdQuery(db, tenantId, ref.userId, sessionId) : [];
  if (!row) throw notFound("Session");
  return row;
}
