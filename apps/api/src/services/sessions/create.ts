/** `sessions.create`: a tenant admin starts a session for a user, on a trusted backend's behalf. */
import type { ClientInfo } from "@sesame/core";
import type { AppDeps } from "../../deps.ts";
import type { AdminScope } from "../scope.ts";
import { startSession, type StartedSession } from "./start-session.ts";

export interface CreateSessionInput {
  userId: string;
  accessGroups?: string[];
  provider?: string;
  ttlSeconds?: number;
  client?: ClientInfo;
}

/**
 * The client info the admin reports (user agent, IP) is believed: the admin's backend is not the
 * client. The user is found (in the admin's tenant, not deleted, not locked) under its row lock by
 * startSession: NOT_FOUND for another tenant's or a missing user, FORBIDDEN for a locked one.
 */
export async function createSession(deps: AppDeps, scope: AdminScope, input: CreateSessionInput): Promise<StartedSession> {
  return startSession(deps, scope, {
    tenantId: scope.tenantId,
    userId: input.userId,
    provider: input.provider ?? "admin",
    accessGroups: input.accessGroups,
    ttlSeconds: input.ttlSeconds,
    client: input.client,
    trustReportedClient: true,
  });
}
