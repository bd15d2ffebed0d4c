/**
 * Prometheus metrics of the Node edge (prom-client; node.ts only, never in the Workers bundle).
 * Fed by `sessionAuth`'s events and by a wrapper around the app's fetch; served at
 * `GET /_sesame/metrics` — in the edge's own namespace, so an upstream's `/metrics` is still
 * proxied — when `SESAME_METRICS_TOKEN` is set, and then only with that bearer token.
 */
import { parseBearerAuthorization } from "@sesame/core";
import { Counter, Registry, collectDefaultMetrics } from "prom-client";
import type { SessionAuthEvent } from "./middleware.ts";

export const EDGE_METRICS_PATH = "/_sesame/metrics";

export function createEdgeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "sesame_edge_" });
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  const requests = counter("sesame_edge_requests_total", "Requests answered by the edge (its own refusals and the upstream's answers), by status.", ["status"]);
  const decisions = counter("sesame_edge_decisions_total", "Session checks by outcome: allowed, or the refusal's reason.", ["decision"]);
  const tokenCache = counter("sesame_edge_token_cache_total", "Token cache lookups: hit (no signature check), miss (verified).", ["result"]);
  const sessionCache = counter("sesame_edge_session_cache_total", "Session cache lookups: hit (the entry answered), miss (asked the API), unavailable.", ["result"]);
  const introspections = counter("sesame_edge_introspections_total", "Calls to the API's introspection endpoint: sent (all of them), unavailable (no usable answer).", ["result"]);

  function onEvent(event: SessionAuthEvent): void {
    switch (event.type) {
      case "decision":
        decisions.inc({ decision: event.decision });
        return;
      case "token_cache_hit":
        tokenCache.inc({ result: "hit" });
        return;
      case "token_verified":
        tokenCache.inc({ result: "miss" });
        return;
      case "session_cache_hit":
        sessionCache.inc({ result: "hit" });
        return;
      case "cache_unavailable":
        sessionCache.inc({ result: "unavailable" });
        return;
      case "introspection":
        sessionCache.inc({ result: "miss" });
        introspections.inc({ result: "sent" });
        return;
      case "introspection_unavailable":
        introspections.inc({ result: "unavailable" });
        return;
      default:
        return;
    }
  }

  /**
   * The app's fetch with `/_sesame/metrics` in front and every answer counted. Without `token`
   * the metrics path is not served here at all (the app answers it, as any `/_sesame` path).
   */
  function wrapFetch<Rest extends unknown[]>(fetch: (request: Request, ...rest: Rest) => Response | Promise<Response>, token: string | null) {
    // The server's extra arguments (the Node request and response, for the peer address) pass through.
    return async (request: Request, ...rest: Rest): Promise<Response> => {
      if (token && request.method === "GET" && new URL(request.url).pathname === EDGE_METRICS_PATH) return serve(request, token);
      const response = await fetch(request, ...rest);
      requests.inc({ status: String(response.status) });
      return response;
    };
  }

  async function serve(request: Request, token: string): Promise<Response> {
    const bearer = parseBearerAuthorization(request.headers.get("authorization"));
    if (bearer.kind !== "token" || !(await sameSecret(bearer.token, token))) {
      return new Response(JSON.stringify({ error: "unauthorized" }), { status: 401, headers: { "content-type": "application/json", "www-authenticate": "Bearer" } });
    }
    return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
  }

  return { registry, onEvent, wrapFetch };
}

/** Constant-time comparison of two secrets: their SHA-256 digests, so lengths do not leak either. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (value: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
