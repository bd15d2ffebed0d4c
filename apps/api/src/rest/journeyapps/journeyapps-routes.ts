/**
 * The JourneyApps-compatible Users & Sessions API under `/api/v4/{tenant}` (README "REST" ›
 * JourneyApps compatibility): the seed page's paths, bodies, 204s and snake_case, as a thin mapping
 * over the same tRPC procedures as `/v1` and `/trpc`. `{tenant}` is the tenant's code or id and must
 * be the API key's own tenant; any other answers 404, as another tenant's ids do everywhere.
 */
import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context as HonoContext } from "hono";
import { z } from "zod";
import type { AppDeps } from "../../deps.ts";
import { notFound } from "../../lib/errors.ts";
import { listUsersFields } from "../../routers/users.ts";
import { BATCH_MAX_OPERATIONS } from "../../services/batch/run-batch.ts";
import { callerFor, type ApiCaller } from "../caller.ts";
import { answers, jsonBody, noContent, withQuery } from "../openapi-parts.ts";
import { queryOf } from "../query.ts";
import { asTRPCError, restErrorResponse } from "../rest-errors.ts";
import type { RestAppOptions } from "../rest-app.ts";
import { JOURNEYAPPS_CHALLENGE, bearerAuthorization } from "./journeyapps-auth.ts";
import { toJourneyAppsBatch, toSesameBatch, journeyAppsBatchInput, journeyAppsBatchResultsSchema } from "./journeyapps-batch.ts";
import {
  journeyAppsAuthenticationTokenSchema,
  journeyAppsSessionSchema,
  journeyAppsUserSchema,
  journeyAppsUsersPageSchema,
  toJourneyAppsAuthenticationToken,
  toJourneyAppsSession,
  toJourneyAppsUser,
} from "./journeyapps-shapes.ts";

const BASE = "/api/v4/{tenant}";
const id = z.uuid({ error: "must be a UUID" });
const tenant = z.string().min(1).max(64).meta({ description: "The tenant's code or id" });
const tenantPath = z.object({ tenant });
const userPath = z.object({ tenant, user_id: id });
const sessionPath = z.object({ tenant, user_id: id, session_id: id });
const security: { [scheme: string]: string[] }[] = [{ basicAuth: [] }, { apiKey: [] }];

type Params = { tenant: string; user_id: string; session_id: string };
/** What a route does once the caller and the tenant are known; `undefined` answers 204. */
type Work = (api: ApiCaller, params: Params, c: HonoContext) => Promise<unknown>;

function route(method: "get" | "post", path: string, summary: string, request: RouteConfig["request"], responses: RouteConfig["responses"]) {
  return createRoute({ method, path: `${BASE}${path}`, tags: ["JourneyApps"], summary, security, request: withQuery(request), responses });
}

const routes: { config: RouteConfig; work: Work }[] = [
  {
    config: route("get", "/users", "List all users, each with its sessions", { params: tenantPath, query: queryOf({ limit: listUsersFields.limit, skip: listUsersFields.skip }) }, answers(200, journeyAppsUsersPageSchema, "A page of users")),
    work: async (api, _params, c) => {
      const query = (c.req as unknown as { valid: (t: "query") => { limit?: number; skip?: number } }).valid("query");
      const page = await api.users.list({ ...query, includeSessions: true });
      return { total: page.total, count: page.count, more: page.more, objects: page.objects.map(toJourneyAppsUser) };
    },
  },
  {
    config: route("get", "/users/{user_id}", "Get a user and its sessions", { params: userPath }, answers(200, journeyAppsUserSchema, "The user")),
    work: async (api, p) => toJourneyAppsUser(await api.users.get({ userId: p.user_id })),
  },
  {
    config: route("get", "/users/{user_id}/sessions/{session_id}", "Get a single session", { params: sessionPath }, answers(200, journeyAppsSessionSchema, "The session")),
    work: async (api, p) => toJourneyAppsSession(await api.sessions.get({ userId: p.user_id, sessionId: p.session_id })),
  },
  {
    config: route(
      "post",
      "/users/{user_id}/lock",
      "Lock a user (wipe required)",
      { params: userPath, body: jsonBody(z.object({ wipe: z.boolean({ error: "is required: true wipes the user's devices, false only signs them out" }) }).strict()) },
      noContent("Locked"),
    ),
    work: async (api, p, c) => {
      const { wipe } = (c.req as unknown as { valid: (t: "json") => { wipe: boolean } }).valid("json");
      await api.users.lock({ userId: p.user_id, wipe });
    },
  },
  {
    config: route("post", "/users/{user_id}/unlock", "Unlock a user", { params: userPath }, noContent("Unlocked")),
    work: async (api, p) => void (await api.users.unlock({ userId: p.user_id })),
  },
  {
    config: route("post", "/users/{user_id}/sessions/{session_id}/wipe", "Wipe a session", { params: sessionPath }, noContent("Wiped (RESET)")),
    work: async (api, p) => void (await api.sessions.wipe({ userId: p.user_id, sessionId: p.session_id })),
  },
  {
    config: route("post", "/users/{user_id}/sessions/{session_id}/re-authenticate", "Re-authenticate a session", { params: sessionPath }, noContent("Signed out (LOCKED)")),
    work: async (api, p) => void (await api.sessions.reauthenticate({ userId: p.user_id, sessionId: p.session_id })),
  },
  {
    config: route("post", "/users/{user_id}/authentication-token", "Generate an authentication (enrollment) token", { params: userPath }, answers(200, journeyAppsAuthenticationTokenSchema, "The token")),
    work: async (api, p) => toJourneyAppsAuthenticationToken(await api.enrollment.createToken({ userId: p.user_id })),
  },
  ...["/batch", "/batch.json"].map((path) => ({
    config: route(
      "post",
      path,
      `Batch user operations (at most ${BATCH_MAX_OPERATIONS})`,
      { params: tenantPath, body: jsonBody(journeyAppsBatchInput) },
      answers(200, journeyAppsBatchResultsSchema, "A result per operation, in order"),
    ),
    work: (async (api, _p, c) => {
      const body = (c.req as unknown as { valid: (t: "json") => z.infer<typeof journeyAppsBatchInput> }).valid("json");
      return toJourneyAppsBatch(body, await api.batch.run(toSesameBatch(body)));
    }) satisfies Work,
  })),
];

/** `{tenant}` names the key's tenant by code (any letter case) or id. */
async function checkTenant(api: ApiCaller, named: string): Promise<void> {
  const own = await api.tenants.get();
  if (named !== own.id && named.toUpperCase() !== own.code) throw notFound("Tenant");
}

export function mountJourneyApps(app: OpenAPIHono, deps: AppDeps, options: RestAppOptions): void {
  for (const { config, work } of routes) {
    app.openapi(config, (async (c: HonoContext) => {
      const params = (c.req as unknown as { valid: (t: "param") => Params }).valid("param");
      const api = callerFor(deps, c, options.remoteAddress(c), bearerAuthorization(c.req.header("authorization") ?? null));
      try {
        await checkTenant(api, params.tenant);
        const body = await work(api, params, c);
        return body === undefined ? c.body(null, 204) : c.json(body, 200);
      } catch (error) {
        const trpcError = asTRPCError(error);
        if (trpcError.code !== "UNAUTHORIZED") throw error;
        return restErrorResponse(trpcError, { "WWW-Authenticate": JOURNEYAPPS_CHALLENGE });
      }
    }) as never);
  }
}
