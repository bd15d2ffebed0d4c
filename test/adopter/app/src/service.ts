/**
 * The adopter's own service: a Hono app of its own, behind Sesame's session check, with the common
 * error handler that renders HTTPExceptions and turns anything else into a 500.
 */
import type { SessionCacheStore } from "@sesame/cache";
import { edgeOptionsForApi, requireGroups, sessionAuth, type SessionVariables } from "@sesame/edge";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";

export interface ServiceOptions {
  apiUrl: string;
  issuer: string;
  introspectionSecret: string;
  store: SessionCacheStore;
}

export function createService(options: ServiceOptions) {
  const app = new Hono<{ Variables: SessionVariables }>();
  app.use(
    "/api/*",
    sessionAuth({
      ...edgeOptionsForApi({ apiUrl: options.apiUrl, secret: options.introspectionSecret, issuer: options.issuer }),
      store: options.store,
    }),
  );
  app.get("/api/me", (c) => c.json({ userId: c.var.session.userId, groups: c.var.session.groups }));
  app.get("/api/reports", requireGroups("reports"), (c) => c.json({ reports: [] }));
  app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.json({ error: "internal", message: error.message }, 500)));
  return app;
}
