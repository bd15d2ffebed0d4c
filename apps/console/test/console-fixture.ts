/**
 * The console server in-process (Hono's `app.request`, no socket) in front of a real API on a
 * random port. Requests look like the SPA's: same origin, the anti-CSRF header, the cookie.
 */
import { createTenantWithAdmin, startApi, type ApiHarness } from "@sesame/api/testing";
import { CSRF_HEADER, CSRF_HEADER_VALUE } from "../src/shared/protocol.ts";
import { createConsoleApp, type ConsoleAppOptions } from "../src/server/app.ts";
import type { ConsoleConfig } from "../src/env.ts";

export const ORIGIN = "http://console.test";
export const SPA_HEADERS = { [CSRF_HEADER]: CSRF_HEADER_VALUE, origin: ORIGIN, "sec-fetch-site": "same-origin" };

export function consoleConfig(apiUrl: string, overrides: Partial<ConsoleConfig> = {}): ConsoleConfig {
  return {
    production: false,
    host: "127.0.0.1",
    port: 0,
    apiUrl,
    publicOrigin: null,
    sessionIdleSeconds: 1800,
    sessionMaxSeconds: 12 * 3600,
    ...overrides,
  };
}

/** A console over `apiUrl`, with a clock the test can move. */
export function startConsole(apiUrl: string, overrides: Partial<ConsoleConfig> = {}, options: ConsoleAppOptions = {}) {
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const { app, store } = createConsoleApp(consoleConfig(apiUrl, overrides), { now, ...options });
  /** Every response the test saw, to check that no key ever left the server. */
  const seen: Response[] = [];
  const request = async (path: string, init: RequestInit & { cookie?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set("cookie", init.cookie);
    const res = await app.request(`${ORIGIN}${path}`, { ...init, headers });
    seen.push(res.clone());
    return res;
  };
  return {
    app,
    store,
    seen,
    request,
    advance: (seconds: number) => {
      offsetMs += seconds * 1000;
    },
    /** Signs in like the SPA; `cookie` is the `name=value` pair to send back. */
    async signIn(key: string, headers: Record<string, string> = SPA_HEADERS) {
      const res = await request("/console/api/session", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ key }),
      });
      const setCookie = res.headers.get("set-cookie");
      return { res, setCookie, cookie: setCookie ? setCookie.split(";")[0]! : null, body: (await res.clone().json()) as Record<string, unknown> };
    },
    /** A tRPC call through the console, batched as the SPA's client sends it. */
    async trpc(cookie: string | null, procedure: string, input?: unknown, headers: Record<string, string> = SPA_HEADERS) {
      const res = await request(`/console/trpc/${procedure}?batch=1`, {
        method: "POST",
        cookie,
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ 0: input }),
      });
      const body = (await res.clone().json()) as { result?: { data: unknown }; error?: { message: string; data: { code: string; reason?: string } } }[];
      return { res, item: body[0]! };
    },
  };
}
export type ConsoleUnderTest = ReturnType<typeof startConsole>;

/** A running API with one tenant and its first API key. */
export async function startApiWithTenant(): Promise<{ api: ApiHarness; key: string; tenant: { id: string; code: string } }> {
  const api = await startApi();
  const { tenant, key } = await createTenantWithAdmin(api);
  return { api, key, tenant };
}
