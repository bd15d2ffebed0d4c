/**
 * The work of `auth.refresh` (refresh.ts): exchanges a refresh token for a new access token and a
 * new refresh token. Rotation, reuse and the grace window are README.md, "Decisions" › Refresh
 * tokens; here is how they hold under concurrency:
 *
 * - Reuse locks the session through SessionChange (cause `refresh_token_reuse`).
 * - The token row is read `FOR UPDATE` (after its session, the lock order of every sign-out), so
 *   concurrent refreshes with one token serialise and yield exactly one child.
 * - A token of a RESET session answers `session_reset` whatever became of the token, checked before
 *   the token's own state (README.md, "Security" › Device wipe protocol).
 * - Whether the session is still accepted (state, user, generation, expiry, idle timeout) is core's
 *   `checkCredentialAcceptance`; a refresh is what marks the session as connected (`lastConnectedAt`).
 */
import { activeCacheEntry, checkCredentialAcceptance, type SessionTokens } from "@sesame/core";
import { and, eq, inArray, isNotNull, lt } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { refreshTokens, sessions, type RefreshTokenRow, type SessionRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { decryptString, encryptString } from "../../lib/crypto.ts";
import { apiError, unauthorizedBecause } from "../../lib/errors.ts";
import { toPublicSession } from "../mappers.ts";
import { refillCacheQuietly } from "../revocation/cache-refill.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { PublicScope } from "../scope.ts";
import { acceptanceInputOf, sessionStandingQuery } from "../sessions/standing-query.ts";
import { issueAccessToken } from "../tokens/access-tokens.ts";
import { REFRESH_TOKEN_PREFIX, hashRefreshToken, insertRefreshToken, mintRefreshToken } from "../tokens/refresh-tokens.ts";

export const INVALID_REFRESH_TOKEN_MESSAGE = "Invalid or expired refresh token";
const REFRESH_TOKEN_PATTERN = new RegExp(`^${REFRESH_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);

type RefreshOutcome =
  | { kind: "invalid" }
  | { kind: "reset" }
  | { kind: "reused"; sessionId: string }
  | { kind: "issued"; session: SessionRow; refreshToken: string; accessTokenTtlSeconds: number };

const INVALID = { kind: "invalid" } as const;
const invalidRefreshToken = () => apiError("UNAUTHORIZED", INVALID_REFRESH_TOKEN_MESSAGE);

export async function rotateRefreshToken(deps: AppDeps, scope: PublicScope, { refreshToken }: { refreshToken: string }): Promise<SessionTokens> {
  if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) throw invalidRefreshToken();
  const tokenHash = hashRefreshToken(refreshToken);

  const { value: outcome } = await commitSessionChange(deps, async (change): Promise<RefreshOutcome> => {
    const { tx, now } = change;
    // The same two statements run for every token, known or not, so the time taken cannot tell a
    // token that never existed from a revoked one. Session first, then the token: the order
    // sign-outs lock them in, so the two cannot deadlock.
    // Both are sent at once (postgres.js pipelines them on the transaction's connection) and run in
    // the order sent, so the lock order holds with one wait instead of two.
    const [[current], [row]] = await Promise.all([
      sessionStandingQuery(tx)
        .where(inArray(sessions.id, tx.select({ id: refreshTokens.sessionId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash))))
        .for("update", { of: sessions }),
      tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).for("update"),
    ]);
    if (!current || !row) return INVALID;
    const { session, settings } = current;
    const verdict = checkCredentialAcceptance(acceptanceInputOf(current), row.generation, now);
    if (!verdict.ok) return verdict.reason === "session_reset" ? { kind: "reset" } : INVALID;
    if (row.revokedAt) return INVALID;
    const accessTokenTtlSeconds = settings.accessTokenTtlSeconds;

    if (row.rotatedAt) {
      const replay = await graceReplay(tx, deps, row, now);
      if (replay.kind === "child") return { kind: "issued", session, refreshToken: replay.token, accessTokenTtlSeconds };
      if (replay.kind === "unreadable") return INVALID;
      const system = { tenantId: session.tenantId, actor: { kind: "system" as const, id: null }, request: scope.request };
      await change.apply(system, eq(sessions.id, session.id), { type: "lock", cause: "refresh_token_reuse" });
      return { kind: "reused", sessionId: session.id };
    }

    // The child's id is made here, so the four writes go to Postgres together (one wait).
    const child = mintRefreshToken();
    // Older parents of this session are past their window: drop the children they kept.
    const graceStart = new Date(now.getTime() - deps.config.refreshGraceSeconds * 1000);
    const [, , , [updated]] = await Promise.all([
      insertRefreshToken(tx, { sessionId: session.id, generation: session.generation, parentId: row.id }, now, child),
      tx
        .update(refreshTokens)
        .set({ rotatedAt: now, childId: child.id, childTokenEnc: encryptString(deps.config.encryptionKey, child.token) })
        .where(eq(refreshTokens.id, row.id)),
      tx
        .update(refreshTokens)
        .set({ childTokenEnc: null })
        .where(and(eq(refreshTokens.sessionId, session.id), isNotNull(refreshTokens.childTokenEnc), lt(refreshTokens.rotatedAt, graceStart))),
      tx.update(sessions).set({ lastConnectedAt: now }).where(eq(sessions.id, session.id)).returning(),
    ]);
    return { kind: "issued", session: updated ?? session, refreshToken: child.token, accessTokenTtlSeconds };
  });

  if (outcome.kind === "reused") {
    deps.logger.warn({ sessionId: outcome.sessionId }, "refresh token reuse: session locked");
    throw invalidRefreshToken();
  }
  if (outcome.kind === "invalid") throw invalidRefreshToken();
  if (outcome.kind === "reset") throw unauthorizedBecause("session_reset");

  const { session } = outcome;
  const access = await issueAccessToken(
    deps,
    {
      userId: session.userId,
      sessionId: session.id,
      tenantId: session.tenantId,
      generation: session.generation,
      ttlSeconds: outcome.accessTokenTtlSeconds,
      notAfter: session.expiresAt,
    },
    deps.now(),
  );
  // A longer lease for the entry; no version changed, so nothing needs the outbox.
  const now = deps.now();
  await refillCacheQuietly(deps, activeCacheEntry(session, { leaseSeconds: deps.config.leaseSeconds, now }), now);
  return {
    session: toPublicSession(session, { currentSessionId: session.id }),
    accessToken: access.token,
    refreshToken: outcome.refreshToken,
    accessTokenExpiresAt: access.expiresAt.toISOString(),
  };
}

type GraceReplay = { kind: "child"; token: string } | { kind: "reuse" } | { kind: "unreadable" };

/**
 * A rotated token presented again gets its child back only while the child is the live token
 * (neither rotated nor revoked) and the parent was rotated at most `refreshGraceSeconds` ago.
 */
async function graceReplay(tx: Tx, deps: AppDeps, parent: RefreshTokenRow, now: Date): Promise<GraceReplay> {
  const rotatedAt = parent.rotatedAt?.getTime() ?? 0;
  if (!parent.childId || !parent.childTokenEnc || now.getTime() - rotatedAt > deps.config.refreshGraceSeconds * 1000) return { kind: "reuse" };
  const [child] = await tx
    .select({ rotatedAt: refreshTokens.rotatedAt, revokedAt: refreshTokens.revokedAt })
    .from(refreshTokens)
    .where(eq(refreshTokens.id, parent.childId))
    .limit(1);
  if (!child || child.rotatedAt || child.revokedAt) return { kind: "reuse" };
  try {
    return { kind: "child", token: decryptString(deps.config.encryptionKey, parent.childTokenEnc) };
  } catch {
    // Encrypted under a key since replaced: refuse, but this is an operator change, not theft.
    return { kind: "unreadable" };
  }
}
