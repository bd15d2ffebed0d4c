/**
 * The console session (the HttpOnly cookie the SPA never reads): ask the server whether there is
 * one, trade a key for one, end it. The key lives in a form field only until the server answers.
 */
import { queryOptions, type QueryClient } from "@tanstack/react-query";
import {
  CONSOLE_SESSION_PATH,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  END_MESSAGES,
  type ConsoleSessionInfo,
  type SessionEndReason,
  type SessionStatus,
  type SignInError,
} from "../shared/protocol.ts";

export const consoleSessionQuery = queryOptions({
  queryKey: ["console-session"],
  queryFn: async ({ signal }): Promise<SessionStatus> => {
    const res = await fetch(CONSOLE_SESSION_PATH, { signal, headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`The console server answered HTTP ${res.status}. Reload the page in a moment.`);
    return (await res.json()) as SessionStatus;
  },
  staleTime: Infinity,
  retry: false,
});

export class SignInFailure extends Error {
  constructor(readonly problem: SignInError) {
    super(problem.message);
  }
}

export async function signIn(key: string): Promise<ConsoleSessionInfo> {
  let res: Response;
  try {
    res = await fetch(CONSOLE_SESSION_PATH, {
      method: "POST",
      headers: { "content-type": "application/json", [CSRF_HEADER]: CSRF_HEADER_VALUE },
      body: JSON.stringify({ key }),
    });
  } catch {
    throw new SignInFailure({ error: "api_unreachable", field: null, message: "The console server cannot be reached. Check that it is running, then sign in again." });
  }
  const body = (await res.json().catch(() => null)) as { session?: ConsoleSessionInfo } | SignInError | null;
  if (res.ok && body && "session" in body && body.session) return body.session;
  if (body && "error" in body) throw new SignInFailure(body);
  throw new SignInFailure({ error: "api_error", field: null, message: `The console server answered HTTP ${res.status}. Try again in a moment.` });
}

export async function signOut(): Promise<void> {
  await fetch(CONSOLE_SESSION_PATH, { method: "DELETE", headers: { [CSRF_HEADER]: CSRF_HEADER_VALUE } });
}

/** Records that the session ended (the page stays, with the sign-in dialog over it). */
export function markSessionEnded(queryClient: QueryClient, reason: SessionEndReason, message?: string) {
  const current = queryClient.getQueryData(consoleSessionQuery.queryKey);
  if (current && current.session === null) return;
  const ended: SessionStatus = { session: null, reason, message: message ?? END_MESSAGES[reason] };
  queryClient.setQueryData(consoleSessionQuery.queryKey, ended);
}
