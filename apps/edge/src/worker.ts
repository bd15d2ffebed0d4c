/**
 * Workers-style entry (Cloudflare Workers, workerd): `export default { fetch }`. Configuration comes
 * from the env bindings; the app and its store, JWKS and token cache live as long as the isolate.
 */
import type { ExecutionContext, Hono } from "hono";
import { checkApiAgreement } from "./api-agreement.ts";
import { createEdgeApp } from "./app.ts";
import { authOptionsFromEnv, createUpstashCacheFromEnv } from "./config-from-env.ts";
import { parseEdgeEnv } from "./env.ts";
import type { SessionVariables } from "./middleware.ts";

type Bindings = Record<string, unknown>;

interface Built {
  bindings: Bindings;
  fingerprint: string;
  app: Hono<{ Variables: SessionVariables }>;
  /** The comparison of iss/aud/JWKS with the API's, started on the first request (null: not yet). */
  agreement: Promise<void> | null;
  /** Set when the API's tokens cannot pass this edge: every request then answers 500 misconfigured. */
  mismatch: string | null;
}

let built: Built | undefined;

function stringBindings(bindings: Bindings): Record<string, string> {
  return Object.fromEntries(Object.entries(bindings).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

/** Built once per isolate; rebuilt only if the configuration itself differs. */
function appFor(bindings: Bindings): Built {
  if (built?.bindings === bindings) return built;
  const strings = stringBindings(bindings);
  const fingerprint = JSON.stringify(Object.entries(strings).sort(([a], [b]) => a.localeCompare(b)));
  if (built?.fingerprint === fingerprint) {
    built.bindings = bindings;
    return built;
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
  const current: Built = { bindings, fingerprint, app, agreement: null, mismatch: null };
  // Workers have no start: the first request of an isolate compares the token settings with the
  // API's (in the background), and a mismatch is logged and answered as a misconfiguration.
  current.agreement = checkApiAgreement(env).then((result) => {
    if (result.kind !== "mismatch") return;
    current.mismatch = `token settings disagree with the API: ${result.problems.join("; ")}`;
    console.error(`[sesame edge] ${current.mismatch}`);
  });
  built = current;
  return current;
}

function misconfigured(): Response {
  return Response.json({ error: "misconfigured", message: "The edge is not configured" }, { status: 500 });
}

export default {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response> {
    let current;
    try {
      current = appFor(env);
    } catch (error) {
      // Fail closed with a plain 500; the details go to the log, not to the client.
      console.error("[sesame edge] configuration error:", error instanceof Error ? error.message : error);
      return misconfigured();
    }
    if (current.agreement) ctx.waitUntil(current.agreement);
    if (current.mismatch) return misconfigured();
    return current.app.fetch(request, env, ctx);
  },
};
