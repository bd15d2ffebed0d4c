/**
 * The reads every authenticated call or admin read does, built once per pool as drizzle prepared
 * queries: building a query's SQL (walking the schema objects) costs more CPU than the round trip
 * it sends on a busy API. The shapes are the builders' own (users/queries.ts, standing-query.ts),
 * filled with placeholders, so there is still one definition of each query.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.ts";
import { apiKeys, sessions, tenants } from "../db/schema.ts";
import { sessionStandingQuery } from "./sessions/standing-query.ts";
import { liveUserSessionsQuery, userByIdQuery, userDerivedQuery, userSessionsQuery } from "./users/queries.ts";

const p = <N extends string>(name: N) => sql.placeholder(name);

function build(db: Db) {
  return {
    apiKeyByHash: db
      .select({ id: apiKeys.id, tenantId: apiKeys.tenantId, lastUsedAt: apiKeys.lastUsedAt })
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, p("keyHash")), isNull(apiKeys.revokedAt)))
      .limit(1)
      .prepare("sesame_api_key_by_hash"),
    tenantById: db.select().from(tenants).where(eq(tenants.id, p("tenantId"))).limit(1).prepare("sesame_tenant_by_id"),
    /** A user caller's session with its standing and its whole user row (callers.ts). */
    sessionStanding: sessionStandingQuery(db)
      .where(and(eq(sessions.id, p("sessionId")), eq(sessions.userId, p("userId")), eq(sessions.tenantId, p("tenantId"))))
      .limit(1)
      .prepare("sesame_session_standing"),
    userById: userByIdQuery(db, p("tenantId"), p("userId")).prepare("sesame_user_by_id"),
    userDerived: userDerivedQuery(db, p("tenantId"), { one: p("userId") }, p("now")).prepare("sesame_user_derived"),
    userSessions: userSessionsQuery(db, p("tenantId"), p("userId")).prepare("sesame_user_sessions"),
    // Timestamps are given as ISO strings: drizzle's postgres.js driver passes dates through unserialised.
    liveUserSessions: liveUserSessionsQuery(db, p("tenantId"), p("userId")).prepare("sesame_live_user_sessions"),
    liveUserActiveSessions: liveUserSessionsQuery(db, p("tenantId"), p("userId"), { activeAt: p("activeAt") }).prepare("sesame_live_user_active_sessions"),
  };
}

export type HotReads = ReturnType<typeof build>;
const built = new WeakMap<Db, HotReads>();

/** The prepared reads of this pool (built on first use). */
export function hotReads(db: Db): HotReads {
  let reads = built.get(db);
  if (!reads) built.set(db, (reads = build(db)));
  return reads;
}

/** True for the pool itself, false for a transaction (whose queries must run on its connection). */
export function isPool(db: DbOrTx): db is Db {
  return !("rollback" in db);
}
