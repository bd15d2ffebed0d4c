/**
 * The typed Sesame client.
 *
 * @example
 * const sesame = createSesameClient({ url: "http://127.0.0.1:4000", apiKey: process.env.SESAME_API_KEY });
 * const { tenant, key } = await sesame.tenants.create.mutate({ code: "ACME", name: "Acme" });
 */
import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCClient } from "@trpc/client";
// In the repo this is the API's router; the published build maps it to the printed client-facing
// shape (scripts/router-shape.ts), so adopters compile no server code.
import type { AppRouter } from "@sesame/api";

export type { AppRouter };
export { TRPCClientError };

export interface SesameClientOptions {
  /** Base URL of the Sesame API, e.g. http://127.0.0.1:4000 (the client appends /trpc). */
  url: string;
  /** A tenant API key (`sk_…`) or, for tenant management, the root key. */
  apiKey?: string;
  /** A user's access token, for the `auth.*` self-service procedures. */
  accessToken?: string;
  /** Extra headers sent with every request (for example a trace id). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export type SesameClient = TRPCClient<AppRouter>;

export function createSesameClient(options: SesameClientOptions): SesameClient {
  if (options.apiKey && options.accessToken) throw new Error("createSesameClient: pass apiKey or accessToken, not both");
  const secret = options.apiKey ?? options.accessToken;
  const headers = { ...options.headers, ...(secret ? { authorization: `Bearer ${secret}` } : {}) };
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.url.replace(/\/+$/, "")}/trpc`,
        // Queries go as POST as well: inputs (sessions.get's token, search terms) stay out of URLs.
        methodOverride: "POST",
        // The API refuses batches of more than MAX_BATCH_SIZE (50, apps/api/src/app.ts) calls; larger ones are split.
        maxItems: 50,
        headers: () => headers,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}

/** The tRPC error code of a failed call (`NOT_FOUND`, `BAD_REQUEST`, …), or null. */
export function errorCode(error: unknown): string | null {
  return error instanceof TRPCClientError ? ((error.data as { code?: string } | undefined)?.code ?? null) : null;
}

/** For BAD_REQUEST: the input field at fault, as a dotted path. */
export function errorField(error: unknown): string | null {
  return error instanceof TRPCClientError ? ((error.data as { field?: string | null } | undefined)?.field ?? null) : null;
}

/**
 * For UNAUTHORIZED: why, in the edge's words (`invalid_token`, `token_expired`, `session_revoked`,
 * `session_expired`, or `session_reset` — the device must wipe its local data); null when unnamed.
 */
export function errorReason(error: unknown): string | null {
  return error instanceof TRPCClientError ? ((error.data as { reason?: string | null } | undefined)?.reason ?? null) : null;
}
