/**
 * Who is calling: the root key, a tenant API key, or a user's access token. Each check answers
 * UNAUTHORIZED without saying which part was wrong.
 *
 * `requestCallers` authenticates the caller of one HTTP request at most once, however many calls a
 * tRPC batch carries (README.md, "Decisions" › Batch size and authentication); the outcome, success
 * or refusal, is shared by every call of the request.
 */
import { bearerToken, checkCredentialAcceptance } from "@sesame/core";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { apiKeys } from "../db/schema.ts";
import type { AppDeps } from "../deps.ts";
import { constantTimeEqual, sha256Hex } from "../lib/crypto.ts";
import { apiError, unauthorizedBecause } from "../lib/errors.ts";
import { API_KEY_PREFIX } from "./api-keys/api-keys.ts";
import { apiKeyCache } from "./api-keys/api-key-cache.ts";
import type { Actor, UserScope } from "./scope.ts";
import { hotReads } from "./hot-reads.ts";
import { acceptanceInputOf } from "./sessions/standing-query.ts";
import { verifyAccessToken } from "./tokens/access-tokens.ts";

/** lastUsedAt is refreshed at most this often, so reads do not turn into a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

const unauthorized = (message = "Missing or invalid credentials") => apiError("UNAUTHORIZED", message);

function authenticateRoot(deps: AppDeps, authorization: string | null): Actor {
  const token = bearerToken(authorization);
  if (!token || !constantTimeEqual(token, deps.config.rootKey)) throw unauthorized();
  return { kind: "root", id: null };
}

async function authenticateAdmin(deps: AppDeps, authorization: string | null): Promise<{ tenantId: string; actor: Actor }> {
  const token = bearerToken(authorization);
  if (!token || !token.startsWith(API_KEY_PREFIX)) throw unauthorized();
  // The lookup is by SHA-256 of a 256-bit secret: an index probe reveals nothing useful to time.
  const keyHash = sha256Hex(token);
  const cache = apiKeyCache(deps.db);
  let key = cache.get(keyHash);
  if (!key) {
    const [row] = await hotReads(deps.db).apiKeyByHash.execute({ keyHash });
    if (!row) throw unauthorized();
    key = { id: row.id, tenantId: row.tenantId, lastUsedAt: row.lastUsedAt?.getTime() ?? null };
    cache.set(keyHash, key);
  }
  const now = deps.now();
  if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt > LAST_USED_RESOLUTION_MS) {
    key.lastUsedAt = now.getTime();
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await deps.db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, stale))));
  }
  return { tenantId: key.tenantId, actor: { kind: "admin", id: key.id } };
}

/** A user caller is its scope but for the request (trpc.ts adds that). */
type UserCaller = Omit<UserScope, "request">;

/**
 * A user caller: a valid access token whose session core's policy still accepts. Refusals carry
 * `data.reason` in the edge's words, so a device tells `session_reset` (wipe) from the rest.
 */
async function authenticateUser(deps: AppDeps, authorization: string | null): Promise<UserCaller> {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized();
  const now = deps.now();
  const verified = await verifyAccessToken(deps, token, now);
  if (!verified.ok) {
    throw verified.reason === "token_expired" ? unauthorizedBecause("token_expired", "Access token expired") : unauthorizedBecause("invalid_token", "Invalid access token");
  }
  const { claims } = verified;
  const [row] = await hotReads(deps.db).sessionStanding.execute({ sessionId: claims.sid, userId: claims.sub, tenantId: claims.tid });
  // A token signed by us for a session we do not have: the edge calls that revoked too.
  if (!row) throw unauthorizedBecause("session_revoked");
  const verdict = checkCredentialAcceptance(acceptanceInputOf(row), claims.gen, now);
  if (!verdict.ok) throw unauthorizedBecause(verdict.reason);
  return { tenantId: claims.tid, userId: claims.sub, sessionId: claims.sid, actor: { kind: "user", id: claims.sub }, rows: { session: row.session, user: row.user } };
}

/** Who a request turned out to be (the request log's `caller`); "anonymous" when no check passed. */
export type CallerKind = "root" | "api_key" | "user" | "edge" | "anonymous";

/** `onCaller` hears each kind of caller the request authenticated as (for the request log). */
export function requestCallers(deps: AppDeps, authorization: string | null, onCaller: (kind: CallerKind) => void = () => {}) {
  return {
    root: once(() => {
      const actor = authenticateRoot(deps, authorization);
      onCaller("root");
      return actor;
    }),
    admin: once(() => authenticateAdmin(deps, authorization).then((admin) => (onCaller("api_key"), admin))),
    user: once(() => authenticateUser(deps, authorization).then((user) => (onCaller("user"), user))),
  };
}

/** Runs `fn` on first use; later uses get the same value (for async `fn`, the same promise) or the same throw. */
function once<T>(fn: () => T): () => T {
  let outcome: { value: T } | { error: unknown } | undefined;
  return () => {
    if (!outcome) {
      try {
        outcome = { value: fn() };
      } catch (error) {
        outcome = { error };
      }
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
}
