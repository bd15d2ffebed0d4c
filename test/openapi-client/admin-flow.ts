/**
 * An admin flow written against the client generated from the running API's /openapi.json by
 * third-party tools (openapi-typescript for the types, openapi-fetch for the calls): nothing of
 * Sesame's own TypeScript is imported. The cross-app test generates ./generated/sesame.ts first,
 * type-checks this file against it (tsconfig.json beside it), then runs it.
 */
import createClient from "openapi-fetch";
import type { paths } from "./generated/sesame.ts";

function expectOk<T>(result: { data?: T; error?: unknown; response: Response }, step: string): T {
  if (result.data === undefined) throw new Error(`${step}: HTTP ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

export function adminFlow(baseUrl: string) {
  const root = (rootKey: string) => createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${rootKey}` } });
  const admin = (apiKey: string) => createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
  return {
    /** Root key → a tenant and its API key. */
    async createTenant(rootKey: string, code: string) {
      const created = expectOk(await root(rootKey).POST("/v1/tenants", { body: { code, name: "Generated client" } }), "create tenant");
      return { tenantId: created.tenant.id, apiKey: created.key };
    },
    /** API key → a user and a session for it. */
    async userWithSession(apiKey: string, username: string) {
      const api = admin(apiKey);
      const user = expectOk(await api.POST("/v1/users", { body: { username, email: `${username}@example.com`, groups: ["staff"] } }), "create user");
      const started = expectOk(await api.POST("/v1/users/{userId}/sessions", { params: { path: { userId: user.id } }, body: { client: { label: "Generated client" } } }), "create session");
      const listed = expectOk(await api.GET("/v1/users/{userId}/sessions", { params: { path: { userId: user.id }, query: { includeInactive: true } } }), "list sessions");
      return { userId: user.id, sessionId: started.session.id, accessToken: started.accessToken, sessionsListed: listed.length };
    },
    async lockWithWipe(apiKey: string, userId: string) {
      const locked = expectOk(await admin(apiKey).POST("/v1/users/{userId}/lock", { params: { path: { userId } }, body: { wipe: true } }), "lock");
      return { locked: locked.user.locked, receipt: locked.revocation };
    },
    async sessionState(apiKey: string, userId: string, sessionId: string) {
      return expectOk(await admin(apiKey).GET("/v1/users/{userId}/sessions/{sessionId}", { params: { path: { userId, sessionId } } }), "get session").state;
    },
    async eventTypes(apiKey: string, userId: string) {
      const page = expectOk(await admin(apiKey).GET("/v1/events", { params: { query: { userId, limit: 50 } } }), "events");
      return page.objects.map((e) => e.type);
    },
    /** A refusal in the spec's error shape. */
    async lockWithoutWipe(apiKey: string, userId: string) {
      // @ts-expect-error -- the generated types know `wipe` is required
      const { error, response } = await admin(apiKey).POST("/v1/users/{userId}/lock", { params: { path: { userId } }, body: {} });
      return { status: response.status, code: error?.code, field: error?.field };
    },
  };
}
