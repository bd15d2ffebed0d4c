/** `sessions.create`: a tenant admin starts a session for a user, on a trusted backend's behalf. */
import type { ClientInfo } from "@sesame/core";
import { and, eq, isNull } from "drizzle-orm";
import { tenants, users } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { apiError, notFound } from "../../lib/errors.ts";
import type { AdminScope } from "../scope.ts";
import { startSession, type StartedSession } from "./start-session.ts";

export interface CreateSessionInput {
  userId: string;
  accessGroups?: string[];
  provider?: string;
  ttlSeconds?: number;
  client?: ClientInfo;
}

/** The client info the admin reports (user agent, IP) is believed: the admin's backend is not the client. */
export async function createSession(deps: AppDeps, scope: AdminScope, input: CreateSessionInput): Promise<StartedSession> {
  const [row] = await deps.db
    .select({ user: users, tenant: tenants })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(users.id, input.userId), eq(users.tenantId, scope.tenantId), isNull(users.deletedAt)))
    .limit(1);
  if (!row) throw notFound("User");
  // A locked user's sessions are refused everywhere; starting one would only hand out dead tokens.
  if (row.user.locked) throw apiError("FORBIDDEN", "User is locked");
  return startSession(deps, scope, {
    tenant: row.tenant,
    user: row.user,
    provider: input.provider ?? "admin",
    accessGroups: input.accessGroups,
    ttlSeconds: input.ttlSeconds,
    client: input.client,
    trustReportedClient: true,
  });
}
