/** A user's default groups (given to new sessions): add several at once, remove one at a time. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api.ts";
import { describeError } from "../errors.ts";
import { FormError, TextField } from "./fields.tsx";
import { splitList } from "./format.tsx";

export function GroupsEditor({ userId, groups }: { userId: string; groups: string[] }) {
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["users"] });
  const add = useMutation({
    mutationFn: (names: string[]) => api.users.addToGroups.mutate({ userId, groups: names }),
    onSuccess: () => {
      setTyped("");
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: (name: string) => api.users.removeFromGroups.mutate({ userId, groups: [name] }), onSuccess: refresh });
  const problem = add.error ? describeError(add.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate(splitList(typed));
  };
  return (
    <section className="panel" aria-labelledby="groups-title">
      <h2 id="groups-title">Default groups</h2>
      <p className="muted">New sessions of this user get these access groups.</p>
      <ul className="chips" aria-label="Default groups">
        {groups.length === 0 ? <li className="muted">none</li> : null}
        {groups.map((g) => (
          <li key={g} className="chip">
            {g}
            <button type="button" className="icon-button" aria-label={`Remove group ${g}`} disabled={remove.isPending} onClick={() => remove.mutate(g)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <FormError problem={remove.error ? describeError(remove.error) : null} />
      <form onSubmit={submit} noValidate className="inline-form">
        <TextField label="Add groups" field="groups" problem={problem} autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} hint="Comma-separated" />
        <button type="submit" disabled={add.isPending}>
          Add
        </button>
      </form>
      <FormError problem={problem} fields={["groups"]} />
    </section>
  );
}
