/** The operator's tenant: its settings, and its API keys (created keys are shown once). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, type ApiKey, type Tenant } from "../api.ts";
import { ConfirmDialog } from "../components/confirm.tsx";
import { CheckboxField, FormEnd, FormError, TextField } from "../components/fields.tsx";
import { Time } from "../components/format.tsx";
import { OnceKey } from "../components/once-key.tsx";
import { describeError } from "../errors.ts";
import { apiKeysQuery, tenantQuery } from "../queries.ts";
import { usePageTitle } from "../use-page-title.ts";

export function TenantPage() {
  usePageTitle("Tenant");
  const tenant = useQuery(tenantQuery);
  return (
    <>
      <h1>Tenant{tenant.data ? `: ${tenant.data.name}` : ""}</h1>
      {tenant.isError ? (
        <div className="error-box">
          <FormError problem={describeError(tenant.error)} />
          <button type="button" onClick={() => void tenant.refetch()}>
            Try again
          </button>
        </div>
      ) : null}
      <div className="columns">
        {tenant.data ? <SettingsForm tenant={tenant.data} /> : <section className="panel" aria-busy="true" />}
        <ApiKeys />
      </div>
    </>
  );
}

/** The settings this form edits; the rest (the MFA policy) are kept as they are by `tenants.update`. */
type Settings = Omit<Tenant["settings"], "mfaPolicy" | "mfaRequiredGroups">;

const FIELDS = ["name", "settings.multipleDevicesPerUser", "settings.sessionTtlSeconds", "settings.accessTokenTtlSeconds", "settings.enrollmentUrl", "settings.passwordResetUrl", "settings.emailVerificationUrl", "settings.sessionIdleTimeoutSeconds"];

interface Draft {
  name: string;
  multipleDevicesPerUser: boolean;
  sessionTtlSeconds: string;
  accessTokenTtlSeconds: string;
  enrollmentUrl: string;
  passwordResetUrl: string;
  emailVerificationUrl: string;
  sessionIdleTimeoutSeconds: string;
}

const draftOf = (t: Tenant): Draft => {
  const s = t.settings;
  return {
    name: t.name,
    multipleDevicesPerUser: s.multipleDevicesPerUser,
    sessionTtlSeconds: String(s.sessionTtlSeconds),
    accessTokenTtlSeconds: String(s.accessTokenTtlSeconds),
    enrollmentUrl: s.enrollmentUrl ?? "",
    passwordResetUrl: s.passwordResetUrl ?? "",
    emailVerificationUrl: s.emailVerificationUrl ?? "",
    sessionIdleTimeoutSeconds: s.sessionIdleTimeoutSeconds == null ? "" : String(s.sessionIdleTimeoutSeconds),
  };
};

/** Digits become a number; anything else goes as typed, so the API's own message names the field. */
const asNumber = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : (text as unknown as number));

function SettingsForm({ tenant }: { tenant: Tenant }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(tenant));
  const [saved, setSaved] = useState(false);
  const mutation = useMutation({
    mutationFn: (d: Draft) =>
      api.tenants.update.mutate({
        name: d.name,
        settings: {
          multipleDevicesPerUser: d.multipleDevicesPerUser,
          sessionTtlSeconds: asNumber(d.sessionTtlSeconds),
          accessTokenTtlSeconds: asNumber(d.accessTokenTtlSeconds),
          enrollmentUrl: d.enrollmentUrl.trim() ? d.enrollmentUrl.trim() : null,
          passwordResetUrl: d.passwordResetUrl.trim() ? d.passwordResetUrl.trim() : null,
          emailVerificationUrl: d.emailVerificationUrl.trim() ? d.emailVerificationUrl.trim() : null,
          sessionIdleTimeoutSeconds: d.sessionIdleTimeoutSeconds.trim() ? asNumber(d.sessionIdleTimeoutSeconds) : null,
        } satisfies Settings,
      }),
    onSuccess: (updated) => {
      setSaved(true);
      setDraft(draftOf(updated));
      queryClient.setQueryData(tenantQuery.queryKey, updated);
    },
  });
  const problem = mutation.error ? describeError(mutation.error) : null;
  const set = (key: keyof Draft) => (e: { target: { value: string; checked: boolean; type: string } }) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate(draft);
  };
  return (
    <section className="panel" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <p className="muted">
        Code <span className="mono">{tenant.code}</span> · created <Time value={tenant.createdAt} />
      </p>
      <form onSubmit={submit} noValidate className="grid-form">
        <TextField label="Name" field="name" problem={problem} value={draft.name} onChange={set("name")} className="wide" />
        <CheckboxField
          label="Several devices per user"
          field="settings.multipleDevicesPerUser"
          problem={problem}
          checked={draft.multipleDevicesPerUser}
          onChange={set("multipleDevicesPerUser")}
          hint="Off: a new session signs out the user's other sessions."
          className="wide"
        />
        <TextField
          label="Session lifetime (seconds)"
          field="settings.sessionTtlSeconds"
          problem={problem}
          inputMode="numeric"
          value={draft.sessionTtlSeconds}
          onChange={set("sessionTtlSeconds")}
          hint="2592000 = 30 days"
        />
        <TextField
          label="Access token lifetime (seconds)"
          field="settings.accessTokenTtlSeconds"
          problem={problem}
          inputMode="numeric"
          value={draft.accessTokenTtlSeconds}
          onChange={set("accessTokenTtlSeconds")}
          hint="30 to 900"
        />
        <TextField
          label="Idle timeout (seconds)"
          field="settings.sessionIdleTimeoutSeconds"
          problem={problem}
          inputMode="numeric"
          value={draft.sessionIdleTimeoutSeconds}
          onChange={set("sessionIdleTimeoutSeconds")}
          hint="Empty = off: a session is refused after this long without a request"
        />
        <TextField
          label="Enrollment URL"
          field="settings.enrollmentUrl"
          problem={problem}
          type="url"
          value={draft.enrollmentUrl}
          onChange={set("enrollmentUrl")}
          hint="Base of enrollment links, e.g. https://app.example.com/enroll"
          className="wide"
        />
        <TextField
          label="Password reset page"
          field="settings.passwordResetUrl"
          problem={problem}
          type="url"
          value={draft.passwordResetUrl}
          onChange={set("passwordResetUrl")}
          hint="Reset mails link here with #token=…, e.g. https://app.example.com/reset"
          className="wide"
        />
        <TextField
          label="Email verification page"
          field="settings.emailVerificationUrl"
          problem={problem}
          type="url"
          value={draft.emailVerificationUrl}
          onChange={set("emailVerificationUrl")}
          hint="Verification mails link here with #token=…"
          className="wide"
        />
        <FormEnd problem={problem} fields={FIELDS} pending={mutation.isPending} idleLabel="Save settings" pendingLabel="Saving…" done={saved ? "Saved." : null} />
      </form>
    </section>
  );
}

function ApiKeys() {
  const queryClient = useQueryClient();
  const keys = useQuery(apiKeysQuery);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const create = useMutation({
    mutationFn: (n: string) => api.apiKeys.create.mutate({ name: n }),
    onSuccess: (result) => {
      setCreated({ name: result.apiKey.name, key: result.key });
      setName("");
      void queryClient.invalidateQueries({ queryKey: apiKeysQuery.queryKey });
    },
  });
  const problem = create.error ? describeError(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate(name);
  };
  return (
    <section className="panel" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      {created ? <OnceKey label={`New key “${created.name}”`} secret={created.key} onDismiss={() => setCreated(null)} /> : null}
      <form onSubmit={submit} noValidate className="inline-form">
        <TextField label="New key name" field="name" problem={problem} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <FormError problem={problem} fields={["name"]} />
      {keys.isError ? <FormError problem={describeError(keys.error)} /> : null}
      <div className="table-wrap">
        <table className="keys" aria-busy={keys.isPending}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {keys.data?.map((k) => (
              <tr key={k.id} data-testid="api-key-row">
                <td data-label="Name">{k.name}</td>
                <td data-label="Created">
                  <Time value={k.createdAt} />
                </td>
                <td data-label="Last used">
                  <Time value={k.lastUsedAt} empty="never" />
                </td>
                <td data-label="State">
                  {k.revokedAt ? (
                    <span className="badge danger">
                      Revoked <Time value={k.revokedAt} />
                    </span>
                  ) : (
                    <button type="button" className="danger" onClick={() => setRevoking(k)} aria-label={`Revoke key ${k.name}`}>
                      Revoke…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke key “${revoking.name}”`}
          confirmLabel="Revoke key"
          action={() => api.apiKeys.revoke.mutate({ apiKeyId: revoking.id })}
          onDone={() => {
            setRevoking(null);
            void queryClient.invalidateQueries({ queryKey: apiKeysQuery.queryKey });
          }}
          onClose={() => setRevoking(null)}
        >
          <p className="warning">
            Every app using this key stops working at once. If this console signed in with it, this console session ends too.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
