/**
 * A tRPC error answered before tRPC's handler runs (body too large, inputs in a GET URL), in exactly
 * the shape tRPC gives its own errors, through the same error formatter, so clients parse one shape.
 */
import { getTRPCErrorShape, type AnyTRPCRouter, type TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";

export function trpcErrorResponse(router: AnyTRPCRouter, error: TRPCError, path: string, headers: Record<string, string> = {}): Response {
  const shape = getTRPCErrorShape({ config: router._def._config, error, type: "unknown", path, input: undefined, ctx: undefined });
  return Response.json({ error: shape }, { status: getHTTPStatusCodeFromError(error), headers });
}

/** The procedure path(s) of a `/trpc/<path>` URL, as tRPC reports them (raw when it cannot be decoded). */
export function trpcPathOf(url: URL, endpoint: string): string {
  const raw = url.pathname.slice(endpoint.length + 1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
