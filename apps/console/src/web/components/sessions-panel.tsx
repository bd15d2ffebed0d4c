/**
 * A user's sessions (devices), newest first, with what the API knows of each, and the actions:
 * wipe, re-authenticate, delete one, keep only one, and access groups on every active session.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, type Receipt, type Session } from "../api.ts";
import { describeError } from "../errors.ts";
import type { ShownReceipt } from "../pages/user.tsx";
import { ConfirmDialog } from "./confirm.tsx";
import { FormError, TextField } from "./fields.tsx";
import { orDash, splitList, StateBadge, Time } from "./format.tsx";

type Action = { kind: "wipe" | "reauthenticate" | "delete" | "keepOnly"; session: Session } | { kind: "deleteAll" };

const clientOf = (s: Session) => [s.clientName, s.clientVersion].filter(Boolean).join(" ") || null;
const osOf = (s: Session) => [s.osName, s.osVersion].filter(Boolean).join(" ") || null;
const deviceOf = (s: Session) => [s.deviceBrand, s.deviceModel].filter(Boolean).join(" ") || s.deviceName || null;
const titleOf = (s: Session) => s.label ?? [clientOf(s) ?? "Unknown client", osOf(s) ? `on ${osOf(s)}` : null].filter(Boolean).join(" ");
const shortId = (id: string) => id.slice(0, 8);

export function SessionsPanel({ userId, sessions, onReceipt }: { userId: string; sessions: Session[]; onReceipt: (r: ShownReceipt) => void }) {
  const queryClient = useQueryClient();
  const [action, setAction] = useState<Action | null>(null);
  const done = (title: string) => (result: { revocation: Receipt }) => {
    setAction(null);
    onReceipt({ title, receipt: result.revocation });
    void queryClient.invalidateQueries({ queryKey: ["users"] });
  };

  return (
    <section className="panel sessions" aria-labelledby="sessions-title">
      <div className="panel-head">
        <h2 id="sessions-title">Sessions ({sessions.length})</h2>
        {sessions.length > 0 ? (
          <button type="button" className="danger" onClick={() => setAction({ kind: "deleteAll" })}>
            Delete all…
          </button>
        ) : null}
      </div>
      {sessions.length === 0 ? <p className="muted">No sessions. Create an enrollment code to let the user sign in on a device.</p> : null}
      <ol className="session-list">
        {sessions.map((s) => (
          <li key={s.id}>
            <article className="session" aria-labelledby={`session-${s.id}`} data-testid="session">
              <h3 id={`session-${s.id}`}>
                <StateBadge state={s.state} /> {titleOf(s)} <span className="muted mono">#{shortId(s.id)}</span>
              </h3>
              <dl className="pairs">
                <dt>Client</dt>
                <dd>{orDash(clientOf(s))}</dd>
                <dt>OS</dt>
                <dd>{orDash(osOf(s))}</dd>
                <dt>Device</dt>
                <dd>{orDash(deviceOf(s))}</dd>
                <dt>IP</dt>
                <dd className="mono">{orDash(s.ip)}</dd>
                <dt>Country</dt>
                <dd>{orDash(s.countryName ?? s.countryCode)}</dd>
                <dt>Created</dt>
                <dd>
                  <Time value={s.createdAt} />
                </dd>
                <dt>Last authenticated</dt>
                <dd>
                  <Time value={s.lastAuthenticatedAt} />
                </dd>
                <dt>Last connected</dt>
                <dd>
                  <Time value={s.lastConnectedAt} empty="never" />
                </dd>
                <dt>Signed out</dt>
                <dd>
                  <Time value={s.signedOutAt} empty="no" />
                </dd>
                <dt>Expires</dt>
                <dd>
                  <Time value={s.expiresAt} />
                </dd>
                <dt>Access groups</dt>
                <dd>{s.accessGroups.length ? s.accessGroups.join(", ") : <span className="muted">none</span>}</dd>
              </dl>
              <div className="actions">
                {s.state !== "RESET" ? (
                  <button type="button" className="danger" onClick={() => setAction({ kind: "wipe", session: s })} aria-label={`Wipe session ${shortId(s.id)}`}>
                    Wipe…
                  </button>
                ) : null}
                {s.state === "ENROLLED" ? (
                  <button type="button" onClick={() => setAction({ kind: "reauthenticate", session: s })} aria-label={`Re-authenticate session ${shortId(s.id)}`}>
                    Re-authenticate…
                  </button>
                ) : null}
                <button type="button" onClick={() => setAction({ kind: "delete", session: s })} aria-label={`Delete session ${shortId(s.id)}`}>
                  Delete…
                </button>
                {sessions.length > 1 ? (
                  <button type="button" onClick={() => setAction({ kind: "keepOnly", session: s })} aria-label={`Delete every session but ${shortId(s.id)}`}>
                    Keep only this…
                  </button>
                ) : null}
              </div>
            </article>
          </li>
        ))}
      </ol>
      <AccessGroupsForm userId={userId} onReceipt={onReceipt} />

      {action?.kind === "wipe" ? (
        <ConfirmDialog
          title={`Wipe session #${shortId(action.session.id)}`}
          confirmLabel="Wipe"
          action={() => api.sessions.wipe.mutate({ userId, sessionId: action.session.id })}
          onDone={done(`Wiped session #${shortId(action.session.id)}`)}
          onClose={() => setAction(null)}
        >
          <p className="warning">
            The session becomes <span className="badge state-reset">RESET</span>: it is signed out, and the device ({titleOf(action.session)}) erases its
            local data when it next connects. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
      {action?.kind === "reauthenticate" ? (
        <ConfirmDialog
          title={`Re-authenticate session #${shortId(action.session.id)}`}
          confirmLabel="Sign out session"
          action={() => api.sessions.reauthenticate.mutate({ userId, sessionId: action.session.id })}
          onDone={done(`Signed out session #${shortId(action.session.id)}`)}
          onClose={() => setAction(null)}
        >
          <p>
            The session becomes <span className="badge state-locked">LOCKED</span>: the user must sign in again on {titleOf(action.session)}. Local data
            stays.
          </p>
        </ConfirmDialog>
      ) : null}
      {action?.kind === "delete" ? (
        <ConfirmDialog
          title={`Delete session #${shortId(action.session.id)}`}
          confirmLabel="Delete session"
          action={() => api.sessions.delete.mutate({ userId, sessionId: action.session.id })}
          onDone={done(`Deleted session #${shortId(action.session.id)}`)}
          onClose={() => setAction(null)}
        >
          <p>The session ends at once and disappears from this list (the audit log keeps it).</p>
        </ConfirmDialog>
      ) : null}
      {action?.kind === "keepOnly" ? (
        <ConfirmDialog
          title="Delete every other session"
          confirmLabel={`Keep only #${shortId(action.session.id)}`}
          action={() => api.sessions.deleteAll.mutate({ userId, exceptSessionId: action.session.id })}
          onDone={done(`Deleted every session but #${shortId(action.session.id)}`)}
          onClose={() => setAction(null)}
        >
          <p>
            Every session of this user except #{shortId(action.session.id)} ({titleOf(action.session)}) ends at once.
          </p>
        </ConfirmDialog>
      ) : null}
      {action?.kind === "deleteAll" ? (
        <ConfirmDialog
          title="Delete all sessions"
          confirmLabel="Delete all sessions"
          action={() => api.sessions.deleteAll.mutate({ userId })}
          onDone={done("Deleted all sessions")}
          onClose={() => setAction(null)}
        >
          <p className="warning">Every session of this user ends at once; they must sign in again on each device.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function AccessGroupsForm({ userId, onReceipt }: { userId: string; onReceipt: (r: ShownReceipt) => void }) {
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const change = useMutation({
    mutationFn: ({ op, groups }: { op: "add" | "remove"; groups: string[] }) =>
      op === "add" ? api.sessions.addAccessGroups.mutate({ userId, groups }) : api.sessions.removeAccessGroups.mutate({ userId, groups }),
    onSuccess: (result, { op, groups }) => {
      setTyped("");
      onReceipt({ title: `${op === "add" ? "Added" : "Removed"} ${groups.join(", ")} on ${result.sessions.length} active session(s)`, receipt: result.revocation });
      void queryClient.invalidateQueries({ queryKey: ["users"] });
    },
  });
  const problem = change.error ? describeError(change.error) : null;
  const submit = (op: "add" | "remove") => (e?: FormEvent) => {
    e?.preventDefault();
    change.mutate({ op, groups: splitList(typed) });
  };
  return (
    <form className="inline-form access-groups" onSubmit={submit("add")} noValidate>
      <TextField
        label="Access groups on every active session"
        field="groups"
        problem={problem}
        autoComplete="off"
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        hint="Comma-separated; applies at the edge on the next request"
      />
      <button type="submit" disabled={change.isPending}>
        Add to active sessions
      </button>
      <button type="button" disabled={change.isPending} onClick={() => submit("remove")()}>
        Remove from active sessions
      </button>
      <FormError problem={problem} fields={["groups"]} />
    </form>
  );
}
