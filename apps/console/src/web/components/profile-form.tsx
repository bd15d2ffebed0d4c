/** Editing a user's profile. The draft is the operator's until saved: refetches never overwrite it. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, type UserWithSessions } from "../api.ts";
import { describeError, type Problem } from "../errors.ts";
import { FormEnd, SelectField, TextAreaField, TextField } from "./fields.tsx";

const FIELDS = ["username", "email", "firstName", "lastName", "status", "profile", "password"] as const;
type Draft = Record<(typeof FIELDS)[number], string>;

const draftOf = (u: UserWithSessions): Draft => ({
  username: u.username,
  email: u.email ?? "",
  firstName: u.firstName ?? "",
  lastName: u.lastName ?? "",
  status: u.status,
  profile: JSON.stringify(u.profile, null, 2),
  password: "",
});

/** The profile is a JSON object; a typo is reported under the field before anything is sent. */
type Profile = NonNullable<Parameters<typeof api.users.update.mutate>[0]["profile"]>;
function parseProfile(text: string): Profile {
  let value: unknown;
  try {
    value = text.trim() ? JSON.parse(text) : {};
  } catch (error) {
    throw new ProfileSyntaxError(`must be valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ProfileSyntaxError("must be a JSON object, like {\"title\": \"Engineer\"}");
  return value as Profile;
}
class ProfileSyntaxError extends Error {}

export function ProfileForm({ user }: { user: UserWithSessions }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(user));
  const [saved, setSaved] = useState(false);
  const mutation = useMutation({
    mutationFn: (d: Draft) =>
      api.users.update.mutate({
        userId: user.id,
        username: d.username,
        email: d.email.trim() ? d.email : null,
        firstName: d.firstName.trim() ? d.firstName : null,
        lastName: d.lastName.trim() ? d.lastName : null,
        status: d.status === "active" ? "active" : "pendingJoin",
        profile: parseProfile(d.profile),
        ...(d.password ? { password: d.password } : {}),
      }),
    onSuccess: (updated) => {
      setSaved(true);
      setDraft({ ...draftOf({ ...user, ...updated }), password: "" });
      void queryClient.invalidateQueries({ queryKey: ["users"] });
    },
  });
  const problem: Problem | null = mutation.error
    ? mutation.error instanceof ProfileSyntaxError
      ? { message: mutation.error.message, code: "BAD_REQUEST", field: "profile", reason: null, fields: { profile: mutation.error.message } }
      : describeError(mutation.error)
    : null;
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate(draft);
  };
  return (
    <section className="panel" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form onSubmit={submit} noValidate className="grid-form">
        <TextField label="Username" field="username" problem={problem} autoComplete="off" value={draft.username} onChange={set("username")} />
        <TextField label="Email" field="email" problem={problem} type="email" autoComplete="off" value={draft.email} onChange={set("email")} />
        <TextField label="First name" field="firstName" problem={problem} autoComplete="off" value={draft.firstName} onChange={set("firstName")} />
        <TextField label="Last name" field="lastName" problem={problem} autoComplete="off" value={draft.lastName} onChange={set("lastName")} />
        <SelectField
          label="Status"
          field="status"
          problem={problem}
          value={draft.status}
          onChange={set("status")}
          options={[
            { value: "active", label: "Active" },
            { value: "pendingJoin", label: "Pending join" },
          ]}
        />
        <TextField
          label="New password"
          field="password"
          problem={problem}
          type="password"
          autoComplete="new-password"
          value={draft.password}
          onChange={set("password")}
          hint="Leave empty to keep the current one."
        />
        <TextAreaField label="Profile (JSON)" field="profile" problem={problem} className="wide" rows={4} spellCheck={false} value={draft.profile} onChange={set("profile")} />
        <FormEnd problem={problem} fields={FIELDS} pending={mutation.isPending} idleLabel="Save profile" pendingLabel="Saving…" done={saved ? "Saved." : null} />
      </form>
    </section>
  );
}
