/**
 * Sign-in with a key. The key stays in this form's state only until the server has checked it;
 * after that the SPA holds nothing but the HttpOnly cookie it cannot read.
 */
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { ConsoleSessionInfo } from "../../shared/protocol.ts";
import { signIn, SignInFailure } from "../console-session.ts";
import type { Problem } from "../errors.ts";
import { Dialog } from "./dialog.tsx";
import { FormError, TextField } from "./fields.tsx";

interface SignInProps {
  notice: string | null;
  onSignedIn: (session: ConsoleSessionInfo) => void;
}

function SignInForm({ notice, onSignedIn }: SignInProps) {
  const [key, setKey] = useState("");
  const mutation = useMutation({
    mutationFn: signIn,
    onSuccess: (session) => {
      setKey("");
      onSignedIn(session);
    },
  });
  const problem: Problem | null = mutation.error
    ? {
        message: mutation.error.message,
        code: mutation.error instanceof SignInFailure ? mutation.error.problem.error : null,
        field: mutation.error instanceof SignInFailure ? mutation.error.problem.field : null,
        reason: null,
        fields: mutation.error instanceof SignInFailure && mutation.error.problem.field ? { key: mutation.error.message } : {},
      }
    : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate(key);
  };
  return (
    <form className="sign-in" onSubmit={submit} noValidate>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <TextField
        label="API key or root key"
        field="key"
        problem={problem}
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        value={key}
        onChange={(e) => setKey(e.target.value)}
        hint={
          <>
            A tenant operator signs in with one of the tenant's API keys (they start with <code>sk_</code>). Tenant management takes the root key
            (<code>SESAME_ROOT_KEY</code>; in development <code>npm run dev</code> prints it and keeps it in <code>.data/dev-secrets.json</code>).
          </>
        }
      />
      <FormError problem={problem} fields={["key"]} />
      <button type="submit" className="primary" disabled={mutation.isPending}>
        {mutation.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

export function SignInPage(props: SignInProps) {
  return (
    <div className="frame">
      <header className="topbar">
        <span className="brand">Sesame console</span>
      </header>
      <main id="main" className="main narrow">
        <h1>Sign in</h1>
        <SignInForm {...props} />
      </main>
    </div>
  );
}

/** Over a page whose session ended: signing in again returns to it as it was. */
export function SignInDialog(props: SignInProps) {
  return (
    <Dialog title="Sign in again" onClose={() => undefined} dismissible={false}>
      <SignInForm {...props} />
    </Dialog>
  );
}
