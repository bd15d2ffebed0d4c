/**
 * `@sesame/edge`: the session check as Hono middleware, and the standalone edge service.
 *
 * @example
 * import { sessionAuth, requireGroups, type SessionVariables } from "@sesame/edge";
 * const app = new Hono<{ Variables: SessionVariables }>();
 * app.use("*", sessionAuth({ issuer, audience: "sesame", jwksUrl, store, introspection: { url, secret } }));
 * app.get("/admin", requireGroups("admin"), (c) => c.json(c.var.session));
 * app.post("/payouts", requireFactors("totp"), (c) => c.json({ ok: true }));
 */
export { sessionAuth, requireGroups, requireFactors, type SessionAuthOptions, type SessionAuthEvent, type SessionVariables, type EdgeSession } from "./middleware.ts";
export { createEdgeApp, type EdgeAppConfig } from "./app.ts";
export { edgeOptionsForApi, type ApiLocation } from "./api-options.ts";
export { parseEdgeEnv, type EdgeEnv } from "./env.ts";
export { IDENTITY_HEADERS } from "./proxy.ts";
