import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import type { SessionEndReason } from "../shared/protocol.ts";
import { App } from "./app.tsx";
import { markSessionEnded } from "./console-session.ts";
import { describeError } from "./errors.ts";
import "./styles.css";

const END_REASONS: readonly string[] = ["signed_out", "session_expired", "key_rejected"] satisfies SessionEndReason[];

/** Any call answered UNAUTHORIZED means the console session is over: show the sign-in dialog over the page. */
function onApiError(error: unknown) {
  const problem = describeError(error);
  if (problem.code !== "UNAUTHORIZED") return;
  const reason = END_REASONS.includes(problem.reason ?? "") ? (problem.reason as SessionEndReason) : "session_expired";
  markSessionEnded(queryClient, reason, problem.message);
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onApiError }),
  mutationCache: new MutationCache({ onError: onApiError }),
  defaultOptions: {
    // Errors are shown with a retry button; a silent retry would only delay the message.
    queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 },
    mutations: { retry: false },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
