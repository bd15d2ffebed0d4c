/**
 * The console's server: a backend-for-frontend between the SPA and the Sesame API. It trades a key
 * for an HttpOnly session cookie, keeps the key server-side, and forwards the SPA's tRPC calls to
 * the API with the key added. Runtime-neutral Hono; main.ts binds it to a port.
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import {
  CONSOLE_SESSION_PATH,
  CONSOLE_TRPC_PATH,
  END_MESSAGES,
  type SessionEndReason,
  type SessionStatus,
  type SignInError,
} from "../shared/protocol.ts";
import { createApiFetch, type ApiFetch } from "./api-fetch.ts";
import type { ConsoleConfig } from "../env.ts";
import { identifyKey } from "./identify-key.ts";
import { sameOriginGuard, type CsrfRefusal } from "./same-origin.ts";
import { CONTENT_SECURITY_POLICY, serveWeb } from "./serve-web.ts";
import { createSessionStore, type ConsoleSession, type SessionStore } from "./session-store.ts";
import { forwardTrpc, isProcedureAllowed } from "./trpc-forward.ts";
import { procedurePaths, trpcErrorResponse } from "./trpc-errors.ts";

/** The API's default limit (SESAME_MAX_BODY_BYTES, 1 MiB); the console stops bigger bodies before they cross the network. */
export const MAX_TRPC_BODY_BYTES = 1024 * 1024;
const MAX_SIGN_IN_BODY_BYTES = 8 * 1024;

export interface ConsoleAppOptions {
  store?: SessionStore;
  apiFetch?: ApiFetch;
  now?: () => Date;
  /** Directory of the built SPA to serve; null when Vite serves it (development). */
  staticRoot?: string | null;
}

/** `users.list,users.get` from `/console/trpc/users.list,users.get`. */
const trpcProcedurePath = (path: string) => path.slice(CONSOLE_TRPC_PATH.length + 1);

const signInBody = z.object({ key: z.string().trim().min(1, "Enter a key").max(4096, "A key is at most 4096 characters") });

const CSRF_MESSAGES: Record<CsrfRefusal, string> = {
  missing_header: "Refused: the request did not come from the console page (missing its request header). Reload the console and try again.",
  foreign_origin: "Refused: the request came from another origin than the console's. Use the console from its own address.",
  cross_site: "Refused: a cross-site request. Use the console from its own address.",
};

export function createConsoleApp(config: ConsoleConfig, options: ConsoleAppOptions = {}) {
  const now = options.now ?? (() => new Date());
  const store =
    options.store ?? createSessionStore({ idleSeconds: config.sessionIdleSeconds, maxSeconds: config.sessionMaxSeconds, now });
  const apiFetch = options.apiFetch ?? createApiFetch();
  const cookieName = "sesame_console";
  // In production the name gets the __Host- prefix: bound to this exact origin over HTTPS (no Domain, Path=/, Secure).
  const cookiePrefix = config.production ? ("host" as const) : undefined;
  const app = new Hono();

  app.use(
    "*",
    secureHeaders({
      xFrameOptions: "DENY",
      // Vite's dev server injects inline scripts; the built SPA needs none.
      contentSecurityPolicy: options.staticRoot ? CONTENT_SECURITY_POLICY : undefined,
      strictTransportSecurity: config.production ? "max-age=31536000; includeSubDomains" : false,
    }),
  );

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      const res = await apiFetch(`${config.apiUrl}/healthz`);
      return res.ok ? c.json({ status: "ready", api: "ok" }) : c.json({ status: "unavailable", api: `HTTP ${res.status}` }, 503);
    } catch (error) {
      return c.json({ status: "unavailable", api: `unreachable: ${(error as Error).message}` }, 503);
    }
  });

  app.use("/console/*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });
  app.use(
    "/console/*",
    sameOriginGuard({
      publicOrigin: config.publicOrigin,
      refuse: (reason, c) => {
        const message = CSRF_MESSAGES[reason];
        if (c.req.path.startsWith(`${CONSOLE_TRPC_PATH}/`)) {
          return trpcErrorResponse({ code: "FORBIDDEN", reason: "csrf", message }, procedurePaths(trpcProcedurePath(c.req.path)), c.req.query("batch") === "1");
        }
        return c.json({ error: "csrf", message, field: null } satisfies SignInError, 403);
      },
    }),
  );

  function startCookie(c: Context, id: string) {
    setCookie(c, cookieName, id, {
      httpOnly: true,
      sameSite: "Strict",
      secure: config.production,
      path: "/",
      maxAge: config.sessionMaxSeconds,
      ...(cookiePrefix ? { prefix: cookiePrefix } : {}),
    });
  }
  function endCookie(c: Context) {
    deleteCookie(c, cookieName, { path: "/", secure: config.production, ...(cookiePrefix ? { prefix: cookiePrefix } : {}) });
  }
  const readCookie = (c: Context) => getCookie(c, cookieName, cookiePrefix);
  /** A Response built outside Hono's context, with the cookie changes made on the context. */
  function withCookies(c: Context, response: Response): Response {
    const cookies = c.res.headers.getSetCookie();
    if (cookies.length === 0) return response;
    const headers = new Headers(response.headers);
    for (const cookie of cookies) headers.append("set-cookie", cookie);
    return new Response(response.body, { status: response.status, headers });
  }
  /** The cookie's session, or why there is none (clearing a stale cookie). */
  function currentSession(c: Context): { ok: true; id: string; session: ConsoleSession } | { ok: false; reason: SessionEndReason } {
    const id = readCookie(c);
    if (!id) return { ok: false, reason: "signed_out" };
    const found = store.use(id);
    if (found.ok) return { ok: true, id, session: found.session };
    endCookie(c);
    return { ok: false, reason: "session_expired" };
  }

  app.get(CONSOLE_SESSION_PATH, (c) => {
    const current = currentSession(c);
    const status: SessionStatus = current.ok
      ? { session: store.info(current.session) }
      : { session: null, reason: current.reason, message: END_MESSAGES[current.reason] };
    return c.json(status);
  });

  app.post(
    CONSOLE_SESSION_PATH,
    bodyLimit({
      maxSize: MAX_SIGN_IN_BODY_BYTES,
      onError: (c) => c.json({ error: "invalid_input", message: "The key is too long.", field: "key" } satisfies SignInError, 413),
    }),
    async (c) => {
      const parsed = signInBody.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) {
        const message = parsed.error.issues.find((i) => i.path[0] === "key")?.message ?? "Send { key } as JSON";
        return c.json({ error: "invalid_input", message, field: "key" } satisfies SignInError, 400);
      }
      const identity = await identifyKey(config.apiUrl, parsed.data.key, apiFetch);
      if (!identity.ok) {
        if (identity.reason === "invalid_key") {
          const message =
            "The API does not accept this key. Check that it was copied whole: a tenant API key starts with sk_; the root key is SESAME_ROOT_KEY.";
          return c.json({ error: "invalid_key", message, field: "key" } satisfies SignInError, 401);
        }
        if (identity.reason === "api_unreachable") {
          const message = `The console cannot reach the Sesame API at ${config.apiUrl}. Start it (npm run dev starts everything) or check SESAME_API_URL, then sign in again.`;
          return c.json({ error: "api_unreachable", message, field: null } satisfies SignInError, 503);
        }
        return c.json({ error: "api_error", message: `The Sesame API could not check the key: ${identity.detail}`, field: null } satisfies SignInError, 502);
      }
      // A new session id at every sign-in (no fixation); the previous session of this browser ends.
      const previous = readCookie(c);
      if (previous) store.delete(previous);
      const id = store.create(identity.principal);
      startCookie(c, id);
      const found = store.use(id);
      return c.json({ session: found.ok ? store.info(found.session) : null });
    },
  );

  app.delete(CONSOLE_SESSION_PATH, (c) => {
    const id = readCookie(c);
    if (id) store.delete(id);
    endCookie(c);
    return c.body(null, 204);
  });

  app.post(
    `${CONSOLE_TRPC_PATH}/*`,
    bodyLimit({
      maxSize: MAX_TRPC_BODY_BYTES,
      onError: (c) =>
        trpcErrorResponse(
          { code: "PAYLOAD_TOO_LARGE", reason: "too_large", message: `The request is larger than ${MAX_TRPC_BODY_BYTES / 1024} KiB; send fewer rows at once.` },
          procedurePaths(trpcProcedurePath(c.req.path)),
          c.req.query("batch") === "1",
        ),
    }),
    async (c) => {
      const procedurePath = trpcProcedurePath(c.req.path);
      const paths = procedurePaths(procedurePath);
      const batched = c.req.query("batch") === "1";
      const current = currentSession(c);
      if (!current.ok) {
        return withCookies(c, trpcErrorResponse({ code: "UNAUTHORIZED", reason: current.reason, message: END_MESSAGES[current.reason] }, paths, batched));
      }
      const refused = paths.find((p) => !isProcedureAllowed(current.session.role, p));
      if (paths.length === 0 || refused !== undefined) {
        const who = current.session.role === "root" ? "the root key" : "a tenant operator";
        return trpcErrorResponse(
          { code: "FORBIDDEN", reason: "procedure_not_allowed", message: `The console does not call ${refused ?? "that procedure"} for ${who}.` },
          paths,
          batched,
        );
      }
      const search = new URL(c.req.url).search;
      const { response, keyRejected } = await forwardTrpc({
        apiUrl: config.apiUrl,
        apiFetch,
        session: current.session,
        procedurePath,
        paths,
        search,
        batched,
        body: await c.req.text(),
      });
      if (keyRejected) {
        store.delete(current.id);
        endCookie(c);
      }
      return withCookies(c, response);
    },
  );
  app.all(`${CONSOLE_TRPC_PATH}/*`, (c) => c.json({ error: "method_not_allowed", message: "The console sends tRPC calls as POST only." }, 405));
  app.all("/console/*", (c) => c.json({ error: "not_found" }, 404));

  if (options.staticRoot) serveWeb(app, options.staticRoot);

  return { app, store };
}

export type ConsoleApp = ReturnType<typeof createConsoleApp>;
