/** How the console server reaches the API: plain fetch with a deadline, so a hung API cannot hang the console. */
export type ApiFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export const API_TIMEOUT_MS = 15_000;

export function createApiFetch(timeoutMs = API_TIMEOUT_MS, base: typeof fetch = fetch): ApiFetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return base(input, { ...init, signal });
  };
}
