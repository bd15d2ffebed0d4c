/**
 * The console's frame: the sign-in gate, the header and the pages. When the session ends while a
 * page is open (expired, key revoked), the page stays mounted but inert under a sign-in dialog, so
 * whatever the operator had typed is still there after signing in again.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Redirect, Route, Switch, useLocation } from "wouter";
import { END_MESSAGES, type ConsoleSessionInfo, type SessionStatus } from "../shared/protocol.ts";
import { Header } from "./components/header.tsx";
import { SignInDialog, SignInPage } from "./components/sign-in.tsx";
import { consoleSessionQuery, signOut } from "./console-session.ts";
import { AuditPage } from "./pages/audit.tsx";
import { NotFoundPage } from "./pages/not-found.tsx";
import { TenantPage } from "./pages/tenant.tsx";
import { TenantsPage } from "./pages/tenants.tsx";
import { UserPage } from "./pages/user.tsx";
import { UsersPage } from "./pages/users.tsx";

export function App() {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const status = useQuery(consoleSessionQuery);
  const session = status.data?.session ?? null;
  // The session whose page stays on screen (inert) while the operator signs in again.
  const [kept, setKept] = useState<ConsoleSessionInfo | null>(null);
  if (session && session !== kept) setKept(session);

  if (status.isPending) return <Shell />;
  if (status.isError) {
    return (
      <Shell>
        <p role="alert" className="error">
          {status.error.message}
        </p>
        <button type="button" onClick={() => void status.refetch()}>
          Try again
        </button>
      </Shell>
    );
  }

  const ended = status.data.session === null ? status.data : null;
  const onSignedIn = (info: ConsoleSessionInfo) => {
    queryClient.setQueryData(consoleSessionQuery.queryKey, { session: info });
    // Everything else was read with the old session (or failed with it): read it again.
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== consoleSessionQuery.queryKey[0] });
  };
  const onSignOut = async () => {
    await signOut();
    setKept(null);
    queryClient.clear();
    const signedOut: SessionStatus = { session: null, reason: "signed_out", message: END_MESSAGES.signed_out };
    queryClient.setQueryData(consoleSessionQuery.queryKey, signedOut);
    navigate("/");
  };

  const page = session ?? kept;
  if (!page) return <SignInPage notice={ended && ended.reason !== "signed_out" ? ended.message : null} onSignedIn={onSignedIn} />;
  return (
    <>
      <div className="frame" inert={!session}>
        <Header session={page} onSignOut={onSignOut} />
        <main id="main" className="main" tabIndex={-1}>
          {page.role === "root" ? <RootRoutes /> : <OperatorRoutes />}
        </main>
      </div>
      {!session && ended ? <SignInDialog notice={ended.message} onSignedIn={onSignedIn} /> : null}
    </>
  );
}

function OperatorRoutes() {
  return (
    <Switch>
      <Route path="/">
        <Redirect to="/users" replace />
      </Route>
      <Route path="/users" component={UsersPage} />
      <Route path="/users/:id">{(params) => <UserPage key={params.id} userId={params.id} />}</Route>
      <Route path="/audit" component={AuditPage} />
      <Route path="/tenant" component={TenantPage} />
      <Route path="/tenants">
        <NotFoundPage message="Tenants are managed with the root key. Sign out and sign in with the root key to list or create tenants." />
      </Route>
      <Route>
        <NotFoundPage />
      </Route>
    </Switch>
  );
}

function RootRoutes() {
  return (
    <Switch>
      <Route path="/">
        <Redirect to="/tenants" replace />
      </Route>
      <Route path="/tenants" component={TenantsPage} />
      <Route>
        <NotFoundPage message="With the root key the console manages tenants. To work on a tenant's users, sign in with that tenant's API key." />
      </Route>
    </Switch>
  );
}

/** The frame before the session is known: the same header height as the real one, nothing else. */
function Shell({ children }: { children?: React.ReactNode }) {
  return (
    <div className="frame">
      <header className="topbar">
        <span className="brand">Sesame console</span>
      </header>
      <main className="main" aria-busy={children ? undefined : true}>
        {children}
      </main>
    </div>
  );
}
