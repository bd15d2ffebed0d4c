/** Root key: every tenant, and creating one (its first API key is shown once). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api.ts";
import { FormEnd, FormError, TextField } from "../components/fields.tsx";
import { Time } from "../components/format.tsx";
import { OnceKey } from "../components/once-key.tsx";
import { describeError } from "../errors.ts";
import { tenantsListQuery } from "../queries.ts";
import { usePageTitle } from "../use-page-title.ts";

export function TenantsPage() {
  usePageTitle("Tenants");
  const queryClient = useQueryClient();
  const tenants = useQuery(tenantsListQuery);
  const [draft, setDraft] = useState({ code: "", name: "" });
  const [created, setCreated] = useState<{ code: string; key: string } | null>(null);
  const create = useMutation({
    mutationFn: (d: typeof draft) => api.tenants.create.mutate({ code: d.code.trim().toUpperCase(), name: d.name }),
    onSuccess: (result) => {
      setCreated({ code: result.tenant.code, key: result.key });
      setDraft({ code: "", name: "" });
      void queryClient.invalidateQueries({ queryKey: tenantsListQuery.queryKey });
    },
  });
  const problem = create.error ? describeError(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate(draft);
  };
  return (
    <>
      <h1>Tenants</h1>
      <section className="panel" aria-labelledby="new-tenant-title">
        <h2 id="new-tenant-title">New tenant</h2>
        {created ? (
          <OnceKey
            label={`Tenant ${created.code} created. Its first API key`}
            secret={created.key}
            onDismiss={() => setCreated(null)}
          />
        ) : null}
        <form onSubmit={submit} noValidate className="grid-form">
          <TextField
            label="Code"
            field="code"
            problem={problem}
            autoComplete="off"
            value={draft.code}
            onChange={(e) => setDraft((d) => ({ ...d, code: e.target.value }))}
            hint="2–16 characters, A–Z and 0–9"
          />
          <TextField label="Name" field="name" problem={problem} autoComplete="off" value={draft.name} onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))} />
          <FormEnd problem={problem} fields={["code", "name"]} pending={create.isPending} idleLabel="Create tenant" pendingLabel="Creating…" />
        </form>
      </section>
      {tenants.isError ? (
        <div className="error-box">
          <FormError problem={describeError(tenants.error)} />
          <button type="button" onClick={() => void tenants.refetch()}>
            Try again
          </button>
        </div>
      ) : null}
      <div className="table-wrap">
        <table aria-busy={tenants.isPending}>
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Devices per user</th>
              <th scope="col">Enrollment URL</th>
            </tr>
          </thead>
          <tbody>
            {tenants.data?.map((t) => (
              <tr key={t.id}>
                <td data-label="Code" className="mono">
                  {t.code}
                </td>
                <td data-label="Name">{t.name}</td>
                <td data-label="Created">
                  <Time value={t.createdAt} />
                </td>
                <td data-label="Devices per user">{t.settings.multipleDevicesPerUser ? "several" : "one"}</td>
                <td data-label="Enrollment URL">{t.settings.enrollmentUrl ?? <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
