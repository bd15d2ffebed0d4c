/**
 * The caller of one HTTP request, authenticated at most once however many calls a tRPC batch
 * carries: a batch of 50 calls with a made-up `sk_` key costs one database lookup, not 50. The
 * outcome, success or refusal, is shared by every call of the request.
 */
import type { AppDeps } from "../../deps.ts";
import { authenticateAdmin, authenticateRoot, authenticateUser } from "./authenticate.ts";

export function requestCallers(deps: AppDeps, authorization: string | null) {
  return {
    root: once(() => authenticateRoot(deps, authorization)),
    admin: once(() => authenticateAdmin(deps, authorization)),
    user: once(() => authenticateUser(deps, authorization)),
  };
}
export type RequestCallers = ReturnType<typeof requestCallers>;

/** Runs `fn` on first use; later uses get the same value (for async `fn`, the same promise) or the same throw. */
function once<T>(fn: () => T): () => T {
  let outcome: { value: T } | { error: unknown } | undefined;
  return () => {
    if (!outcome) {
      try {
        outcome = { value: fn() };
      } catch (error) {
        outcome = { error };
      }
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
}
