/** Creating a user. On an error every typed value stays, and the message sits under its field. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "wouter";
import { api, type User } from "../api.ts";
import { describeError } from "../errors.ts";
import { FormEnd, TextField } from "./fields.tsx";
import { splitList } from "./format.tsx";

const FIELDS = ["username", "email", "firstName", "lastName", "password", "groups"] as const;
type Draft = Record<(typeof FIELDS)[number], string>;
const EMPTY: Draft = { username: "", email: "", firstName: "", lastName: "", password: "", groups: "" };

export function NewUserForm({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [created, setCreated] = useState<User | null>(null);
  const mutation = useMutation({
    mutationFn: (d: Draft) =>
      api.users.create.mutate({
        username: d.username,
        ...(d.email.trim() ? { email: d.email } : {}),
        ...(d.firstName.trim() ? { firstName: d.firstName } : {}),
        ...(d.lastName.trim() ? { lastName: d.lastName } : {}),
        ...(d.password ? { password: d.password } : {}),
        ...(d.groups.trim() ? { groups: splitList(d.groups) } : {}),
      }),
    onSuccess: (user) => {
      setCreated(user);
      setDraft(EMPTY);
      void queryClient.invalidateQueries({ queryKey: ["users", "list"] });
    },
  });
  const problem = mutation.error ? describeError(mutation.error) : null;
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    mutation.mutate(draft);
  };
  return (
    <section id={id} className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New user</h2>
      <form onSubmit={submit} noValidate className="grid-form">
        <TextField label="Username" field="username" problem={problem} required autoComplete="off" value={draft.username} onChange={set("username")} />
        <TextField label="Email" field="email" problem={problem} type="email" autoComplete="off" value={draft.email} onChange={set("email")} />
        <TextField label="First name" field="firstName" problem={problem} autoComplete="off" value={draft.firstName} onChange={set("firstName")} />
        <TextField label="Last name" field="lastName" problem={problem} autoComplete="off" value={draft.lastName} onChange={set("lastName")} />
        <TextField
          label="Password"
          field="password"
          problem={problem}
          type="password"
          autoComplete="new-password"
          value={draft.password}
          onChange={set("password")}
          hint="Optional. Without one the user is pending until they enroll with a code."
        />
        <TextField label="Groups" field="groups" problem={problem} autoComplete="off" value={draft.groups} onChange={set("groups")} hint="Comma-separated, e.g. sales, ops" />
        <FormEnd
          problem={problem}
          fields={FIELDS}
          pending={mutation.isPending}
          idleLabel="Create user"
          pendingLabel="Creating…"
          done={created ? <>Created <Link href={`/users/${created.id}`}>{created.username}</Link>.</> : null}
        />
      </form>
    </section>
  );
}
