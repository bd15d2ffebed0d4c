/**
 * Who is calling: the root key, a tenant API key, or a user's access token. Each check answers
 * UNAUTHORIZED without saying which part was wrong.
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import { apiKeys, sessions, users } from "../db/schema.ts";
import { constantTimeEqual, sha256Hex } from "../lib/crypto.ts";
import { apiError } from "../lib/errors.ts";
import { verifyAccessToken } from "./access-tokens.ts";
import type { Actor } from "./events.ts";
import { checkSessionAcceptance } from "@sesame/core";

/** API keys look like `sk_<43 base64url chars>`; the prefix lets secret scanners find leaked ones. */
export const API_KEY_PREFIX = "sk_";
/** lastUsedAt is refreshed at most this often, so reads do not turn into a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function bearerToken(authorization: string | null): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

const unauthorized = (message = "Missing or invalid credentials") => apiError("UNAUTHORIZED", message);

export function authenticateRoot(deps: AppDeps, authorization: string | null): Actor {
  const token = bearerToken(authorization);
  if (!token || !constantTimeEqual(token, deps.config.rootKey)) throw unauthorized();
  return { kind: "root", id: null };
}

export async function authenticateAdmin(deps: AppDeps, authorization: string | null): Promise<{ tenantId: string; actor: Actor }> {
  const token = bearerToken(authorization);
  if (!token || !token.startsWith(API_KEY_PREFIX)) throw unauthorized();
  // The lookup is by SHA-256 of a 256-bit secret: an index probe reveals nothing useful to time.
  const [key] = await deps.db
    .select({ id: apiKeys.id, tenantId: apiKeys.tenantId, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sha256Hex(token)), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!key) throw unauthorized();
  const now = deps.now();
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await deps.db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, stale))));
  }
  return { tenantId: key.tenantId, actor: { kind: "admin", id: key.id } };
}

export interface UserCaller {
  tenantId: string;
  userId: string;
  sessionId: string;
  actor: Actor;
}

/** A user caller: a valid access token whose session is still accepted and whose user is not locked. */
export async function authenticateUser(deps: AppDeps, authorization: string | null): Promise<UserCaller> {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized();
  const now = deps.now();
  const verified = await verifyAccessToken(deps, token, now);
  if (!verified.ok) throw unauthorized(verified.reason === "token_expired" ? "Access token expired" : "Invalid access token");
  const { claims } = verified;
  const [row] = await deps.db
    .select({ session: sessions, locked: users.locked, userDeletedAt: users.deletedAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, claims.sid), eq(sessions.userId, claims.sub), eq(sessions.tenantId, claims.tid)))
    .limit(1);
  if (!row || row.locked || row.userDeletedAt || row.session.generation !== claims.gen) throw unauthorized("Session is no longer valid");
  if (!checkSessionAcceptance(row.session, now).ok) throw unauthorized("Session is no longer valid");
  return { tenantId: claims.tid, userId: claims.sub, sessionId: claims.sid, actor: { kind: "user", id: claims.sub } };
}
