/**
 * The edge's call to the API when the cache cannot vouch for a session. Concurrent calls for the
 * same session share one request, so a cold cache under load costs the API one query per session.
 */
import { withDeadline } from "@sesame/cache";
import { introspectionResponseSchema, type IntrospectionResponse } from "@sesame/core";

/**
 * Per call. With the JWKS fetch's own 800 ms (jwks.ts) this keeps the fail-closed 503 for an
 * unreachable API under one second: a request waits on one of the two, never both.
 */
export const DEFAULT_INTROSPECTION_TIMEOUT_MS = 800;
/** Added to the fetch timeout for the whole call (reading the body included). */
export const INTROSPECTION_DEADLINE_SLACK_MS = 50;

export interface IntrospectorOptions {
  /** The API's `INTROSPECTION_PATH` URL. */
  url: string;
  /** `SESAME_INTROSPECTION_SECRET`, sent as a bearer token. */
  secret: string;
  /** Per call; default DEFAULT_INTROSPECTION_TIMEOUT_MS. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The clock `notBefore` is read on; default the system clock. */
  now?: () => Date;
}

/** The API did not give a usable answer in time. */
export class IntrospectionUnavailableError extends Error {
  override readonly name = "IntrospectionUnavailableError";
}

/**
 * `notBefore` (epoch ms): the caller began its check then. It only joins an in-flight call that was
 * sent at or after that moment; an older call may have read Postgres before a revocation that
 * returned while the caller was reading the cache, and must not vouch for the caller.
 */
export type Introspect = (sessionId: string, notBefore?: number) => Promise<IntrospectionResponse>;

export function createIntrospector(options: IntrospectorOptions): Introspect {
  const { url, secret, timeoutMs = DEFAULT_INTROSPECTION_TIMEOUT_MS, now = () => new Date() } = options;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const inFlight = new Map<string, { call: Promise<IntrospectionResponse>; sentAt: number }>();

  async function callApi(sessionId: string): Promise<IntrospectionResponse> {
    let response: Response;
    let body: unknown;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ sessionId }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
      });
      body = await response.json().catch(() => undefined);
    } catch (error) {
      throw new IntrospectionUnavailableError(`Introspection at ${url} failed: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) throw new IntrospectionUnavailableError(`Introspection at ${url} answered ${response.status}`);
    const parsed = introspectionResponseSchema.safeParse(body);
    if (!parsed.success) throw new IntrospectionUnavailableError(`Introspection at ${url} answered an unexpected body`);
    return parsed.data;
  }

  return function introspect(sessionId, notBefore = Number.NEGATIVE_INFINITY) {
    let entry = inFlight.get(sessionId);
    if (!entry || entry.sentAt < notBefore) {
      const fresh: { call: Promise<IntrospectionResponse>; sentAt: number } = { call: Promise.resolve() as never, sentAt: now().getTime() };
      fresh.call = callApi(sessionId).finally(() => {
        // Only this call's own entry: a newer call for the session may have taken the slot.
        if (inFlight.get(sessionId) === fresh) inFlight.delete(sessionId);
      });
      inFlight.set(sessionId, fresh);
      entry = fresh;
    }
    const shared = entry;
    // A call that outlives its deadline is abandoned, so the next request for the session starts afresh.
    // Every caller keeps its own deadline on the shared call: on Workers, a fetch started by a request
    // that gets cancelled may never settle, and the requests coalesced onto it must not hang.
    return withDeadline(shared.call, timeoutMs + INTROSPECTION_DEADLINE_SLACK_MS, () => {
      if (inFlight.get(sessionId) === shared) inFlight.delete(sessionId);
      return new IntrospectionUnavailableError(`Introspection gave no answer within ${timeoutMs + INTROSPECTION_DEADLINE_SLACK_MS} ms`);
    });
  };
}
