/**
 * Who a service call is for. trpc.ts builds one scope per caller kind and every service takes
 * `(deps, scope, input)`: the scope says which tenant the call may touch, who acts (for the event
 * log) and where the HTTP request came from. Services never read the request or the caller
 * themselves.
 */
import type { ActorKind } from "@sesame/core";
import type { SessionRow, UserRow } from "../db/schema.ts";

/** Who did something, as the event log records it. */
export interface Actor {
  kind: ActorKind;
  id: string | null;
}

/** Where an HTTP request came from, read once in context.ts (the client IP per `SESAME_TRUST_PROXY`). */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
  /** ISO 3166 code from the configured trusted header (`SESAME_COUNTRY_HEADER`). */
  countryCode: string | null;
}

/** Anyone: sign-in, enrollment, refresh. */
export interface PublicScope {
  request: RequestOrigin;
}

/** The root key: tenant management. */
export interface RootScope extends PublicScope {
  actor: Actor;
}

/** Acting inside one tenant: a tenant admin, or a sign-in once its tenant is known. */
export interface TenantScope extends RootScope {
  tenantId: string;
}

/** A tenant API key. */
export type AdminScope = TenantScope;

/** A user's access token: the user and the session it belongs to. */
export interface UserScope extends TenantScope {
  userId: string;
  sessionId: string;
  /**
   * The session and user rows the caller check read in this request (callers.ts), so a procedure
   * reading the caller's own session or user (`auth.me`) sends no second query for them.
   */
  rows: { session: SessionRow; user: UserRow };
}
