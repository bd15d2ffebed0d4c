/**
 * Workers-style entry (Cloudflare Workers, workerd): `export default { fetch }`. Configuration comes
 * from the env bindings; the app and its store, JWKS and token cache live as long as the isolate.
 */
import type { ExecutionContext, Hono } from "hono";
import { createEdgeApp } from "./app.ts";
import { authOptionsFromEnv, createUpstashCacheFromEnv } from "./config-from-env.ts";
import { parseEdgeEnv } from "./env.ts";
import type { SessionVariables } from "./middleware.ts";

type Bindings = Record<string, unknown>;

let built: { bindings: Bindings; fingerprint: string; app: Hono<{ Variables: SessionVariables }> } | undefined;

function stringBindings(bindings: Bindings): Record<string, string> {
  return Object.fromEntries(Object.entries(bindings).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

/** Built once per isolate; rebuilt only if the configuration itself differs. */
function appFor(bindings: Bindings): Hono<{ Variables: SessionVariables }> {
  if (built?.bindings === bindings) return built.app;
  const strings = stringBindings(bindings);
  const fingerprint = JSON.stringify(Object.entries(strings).sort(([a], [b]) => a.localeCompare(b)));
  if (built?.fingerprint === fingerprint) {
    built.bindings = bindings;
    return built.app;
  }
  const env = parseEdgeEnv(strings);
  if (!env.upstreamUrl) throw new Error("UPSTREAM_URL is required on Workers");
  const app = createEdgeApp({
    ...authOptionsFromEnv(env),
    store: createUpstashCacheFromEnv(env).store,
    upstreamUrl: env.upstreamUrl,
    // Cloudflare sets this on every request to a Worker, replacing any value the client sent.
    peerAddress: (c) => c.req.header("cf-connecting-ip") ?? null,
  });
  built = { bindings, fingerprint, app };
  return app;
}

export default {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response> {
    let app;
    try {
      app = appFor(env);
    } catch (error) {
      // Fail closed with a plain 500; the details go to the log, not to the client.
      console.error("[sesame edge] configuration error:", error instanceof Error ? error.message : error);
      return Response.json({ error: "misconfigured", message: "The edge is not configured" }, { status: 500 });
    }
    return app.fetch(request, env, ctx);
  },
};
