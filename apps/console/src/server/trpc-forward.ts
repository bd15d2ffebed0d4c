/**
 * The SPA's tRPC calls, forwarded to the API with the session's key added. Only the procedures the
 * console uses for the session's role pass; the public `auth.*` procedures never do, so the console
 * is no open relay for sign-in attempts.
 */
import type { AppRouter } from "@sesame/client";
import { END_MESSAGES } from "../shared/protocol.ts";
import type { ApiFetch } from "./api-fetch.ts";
import type { ConsoleSession } from "./session-store.ts";
import { errorShape, trpcErrorResponse } from "./trpc-errors.ts";

type Namespace = keyof AppRouter["_def"]["record"];

/** A tenant operator works inside its tenant: everything its API key may call. */
const OPERATOR_NAMESPACES: readonly Namespace[] = ["tenants", "apiKeys", "users", "sessions", "enrollment", "batch", "events"];
/** The root key manages tenants and nothing else. */
const ROOT_PROCEDURES: readonly string[] = ["tenants.list", "tenants.create"] satisfies `${"tenants"}.${keyof AppRouter["tenants"]}`[];

export function isProcedureAllowed(role: ConsoleSession["role"], procedure: string): boolean {
  if (role === "root") return ROOT_PROCEDURES.includes(procedure);
  const [namespace, name, ...rest] = procedure.split(".");
  return rest.length === 0 && !!name && (OPERATOR_NAMESPACES as readonly string[]).includes(namespace ?? "") && !ROOT_PROCEDURES.includes(procedure);
}

export interface ForwardInput {
  apiUrl: string;
  apiFetch: ApiFetch;
  session: ConsoleSession;
  /** The part after `/console/trpc/`, e.g. `users.list,users.get`. */
  procedurePath: string;
  paths: string[];
  search: string;
  batched: boolean;
  body: string;
}

export type ForwardResult = { response: Response; keyRejected: boolean };

/** Response headers worth passing on from the API. */
const PASSED_HEADERS = ["content-type", "retry-after"];

export async function forwardTrpc(input: ForwardInput): Promise<ForwardResult> {
  let upstream: Response;
  try {
    upstream = await input.apiFetch(`${input.apiUrl}/trpc/${input.procedurePath}${input.search}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${input.session.key}` },
      body: input.body,
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      keyRejected: false,
      response: trpcErrorResponse(
        {
          code: "SERVICE_UNAVAILABLE",
          reason: "api_unreachable",
          message: timedOut
            ? `The Sesame API at ${input.apiUrl} did not answer in time. Nothing was lost here: try again in a moment.`
            : `The console cannot reach the Sesame API at ${input.apiUrl}. Check that it is running, then try again; what you typed is kept.`,
        },
        input.paths,
        input.batched,
      ),
    };
  }

  const headers = new Headers({ "cache-control": "no-store" });
  for (const name of PASSED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) headers.set(name, value);
  }
  // All procedures succeeded: nothing to look at, pass the body through untouched.
  if (upstream.status === 200) return { keyRejected: false, response: new Response(upstream.body, { status: 200, headers }) };

  const text = await upstream.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {
      keyRejected: false,
      response: trpcErrorResponse(
        { code: "SERVICE_UNAVAILABLE", reason: "api_unreachable", message: `The Sesame API answered HTTP ${upstream.status} without a tRPC body. Try again in a moment.` },
        input.paths,
        input.batched,
      ),
    };
  }

  const items = Array.isArray(parsed) ? parsed : [parsed];
  const keyRejected = items.some(isUnauthorized);
  if (!keyRejected) return { keyRejected, response: new Response(text, { status: upstream.status, headers }) };
  // The API no longer takes this key: answer every call as the end of the console session.
  const ended = { code: "UNAUTHORIZED" as const, reason: "key_rejected" as const, message: END_MESSAGES.key_rejected };
  const rewritten = items.map((item, i) => (isUnauthorized(item) ? errorShape(ended, input.paths[i] ?? "") : item));
  return { keyRejected, response: Response.json(input.batched ? rewritten : rewritten[0], { status: upstream.status, headers }) };
}

function isUnauthorized(item: unknown): boolean {
  const data = (item as { error?: { data?: { code?: unknown } } } | null)?.error?.data;
  return data?.code === "UNAUTHORIZED";
}
