/**
 * The edge's decision for a verified token, from whatever it has learnt about the session: its
 * cache entry, the API's introspection answer, or nothing. The edge only fetches these; the rule
 * lives here, so a cache hit and an API answer cannot disagree.
 */
import { edgeSessionFromEntry, type ActiveCacheEntry, type CacheEntry, type EdgeSession } from "./cache-entry.ts";
import type { SessionRejection } from "./errors.ts";
import type { IntrospectionResponse } from "./introspection.ts";
import { compareGeneration } from "./session-acceptance.ts";
import type { AccessTokenClaims } from "./tokens.ts";

export type SessionEvidence =
  | { source: "cache"; entry: CacheEntry }
  | { source: "introspection"; answer: IntrospectionResponse }
  /** No entry, or the cache could not be read. */
  | { source: "none" };

export type EdgeAccessDecision =
  /** `session`: what the edge exposes as `c.var.session`, from the entry (`edgeSessionFromEntry`). */
  | { decision: "allow"; session: EdgeSession }
  | { decision: "reject"; reason: SessionRejection | "invalid_token" }
  /** The evidence cannot vouch for the session: ask the API (only ever for cache evidence or none). */
  | { decision: "ask_api" };

type TokenIdentity = Pick<AccessTokenClaims, "sid" | "sub" | "tid" | "gen">;

const reject = (reason: SessionRejection | "invalid_token"): EdgeAccessDecision => ({ decision: "reject", reason });
const ASK_API: EdgeAccessDecision = { decision: "ask_api" };

/**
 * @example
 * let decision = decideEdgeAccess({ source: "cache", entry }, claims, now);
 * if (decision.decision === "ask_api") decision = decideEdgeAccess({ source: "introspection", answer: await introspect(claims.sid) }, claims, now);
 */
export function decideEdgeAccess(evidence: SessionEvidence, claims: TokenIdentity, now: Date): EdgeAccessDecision {
  if (evidence.source === "none") return ASK_API;
  if (evidence.source === "cache") {
    const { entry } = evidence;
    if (entry.kind === "revoked") return reject(entry.reason);
    // A cache entry is a copy: a token newer than it, or a lease run out, sends us to the API.
    return decideOnActive(entry, claims, now, { newerToken: ASK_API, leaseOver: entry.leaseUntil <= now.getTime() });
  }
  const { answer } = evidence;
  // The API does not know the session: to the token's holder it is as good as signed out.
  if (!answer.active) return reject(answer.reason === "session_not_found" ? "session_revoked" : answer.reason);
  // The API's answer is authoritative (its lease is for the cache): a token newer than the session it describes is not ours.
  return decideOnActive(answer.entry, claims, now, { newerToken: reject("invalid_token"), leaseOver: false });
}

function decideOnActive(
  entry: ActiveCacheEntry,
  claims: TokenIdentity,
  now: Date,
  source: { newerToken: EdgeAccessDecision; leaseOver: boolean },
): EdgeAccessDecision {
  if (entry.sid !== claims.sid || entry.uid !== claims.sub || entry.tid !== claims.tid) return reject("invalid_token");
  const generation = compareGeneration(claims.gen, entry.gen);
  if (generation === "older") return reject("session_revoked");
  if (generation === "newer") return source.newerToken;
  if (entry.expiresAt <= now.getTime()) return reject("session_expired");
  if (source.leaseOver) return ASK_API;
  return { decision: "allow", session: edgeSessionFromEntry(entry) };
}
