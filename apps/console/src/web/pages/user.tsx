/**
 * One user: profile and default groups, lock/unlock/delete, an enrollment code, and the user's
 * sessions (devices) with their own actions. Revoking actions end with the API's receipt.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, type EnrollmentCode, type Receipt } from "../api.ts";
import { ConfirmDialog } from "../components/confirm.tsx";
import { EnrollmentDialog } from "../components/enrollment-dialog.tsx";
import { FormError } from "../components/fields.tsx";
import { Flag, Time } from "../components/format.tsx";
import { GroupsEditor } from "../components/groups-editor.tsx";
import { LockDialog } from "../components/lock-dialog.tsx";
import { ProfileForm } from "../components/profile-form.tsx";
import { ReceiptNote } from "../components/receipt.tsx";
import { SessionsPanel } from "../components/sessions-panel.tsx";
import { describeError } from "../errors.ts";
import { userQuery } from "../queries.ts";
import { usePageTitle } from "../use-page-title.ts";

export interface ShownReceipt {
  title: string;
  receipt: Receipt;
}

export function UserPage({ userId }: { userId: string }) {
  const queryClient = useQueryClient();
  const user = useQuery(userQuery(userId));
  usePageTitle(user.data ? user.data.username : "User");
  const [receipt, setReceipt] = useState<ShownReceipt | null>(null);
  const [dialog, setDialog] = useState<"lock" | "unlock" | "delete" | null>(null);
  const [enrollment, setEnrollment] = useState<EnrollmentCode | null>(null);
  const [deleted, setDeleted] = useState<ShownReceipt | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["users"] });
  const createCode = useMutation({ mutationFn: () => api.enrollment.createToken.mutate({ userId }), onSuccess: setEnrollment });

  if (deleted) {
    return (
      <>
        <p className="back">
          <Link href="/users">← Users</Link>
        </p>
        <h1>User deleted</h1>
        <ReceiptNote title={deleted.title} receipt={deleted.receipt} onDismiss={() => undefined} />
      </>
    );
  }
  if (user.isPending) return <p aria-busy="true">Loading user…</p>;
  if (user.isError) {
    const problem = describeError(user.error);
    return (
      <>
        <p className="back">
          <Link href="/users">← Users</Link>
        </p>
        <h1>{problem.code === "NOT_FOUND" ? "No such user" : "User could not be loaded"}</h1>
        <p className="error" role="alert">
          {problem.code === "NOT_FOUND" ? "This user does not exist in this tenant, or was deleted." : problem.message}
        </p>
        {problem.code !== "NOT_FOUND" ? (
          <button type="button" onClick={() => void user.refetch()}>
            Try again
          </button>
        ) : null}
      </>
    );
  }

  const u = user.data;
  const active = u.sessions.filter((s) => s.state === "ENROLLED").length;
  return (
    <>
      <p className="back">
        <Link href="/users">← Users</Link>
      </p>
      <div className="page-head">
        <h1>
          {u.username} <Flag on={u.locked} label="Locked" kind="danger" /> <Flag on={u.enrolled} label="Enrolled" kind="ok" />
          {u.status === "pendingJoin" ? <span className="badge">Pending join</span> : null}
        </h1>
        <div className="actions">
          {u.locked ? (
            <button type="button" onClick={() => setDialog("unlock")}>
              Unlock…
            </button>
          ) : (
            <button type="button" className="danger" onClick={() => setDialog("lock")}>
              Lock…
            </button>
          )}
          <button type="button" onClick={() => createCode.mutate()} disabled={createCode.isPending || u.locked} title={u.locked ? "Unlock the user first" : undefined}>
            {createCode.isPending ? "Creating code…" : "Enrollment code"}
          </button>
          <button type="button" className="danger" onClick={() => setDialog("delete")}>
            Delete…
          </button>
          <Link href={`/audit?userId=${u.id}`}>Audit events</Link>
        </div>
      </div>
      <FormError problem={createCode.error ? describeError(createCode.error) : null} />
      <p className="meta">
        Created <Time value={u.createdAt} /> · last connected <Time value={u.lastConnectedAt} empty="never" />
        {u.lockedAt ? (
          <>
            {" "}
            · locked since <Time value={u.lockedAt} />
          </>
        ) : null}
      </p>

      {receipt ? <ReceiptNote title={receipt.title} receipt={receipt.receipt} onDismiss={() => setReceipt(null)} /> : null}

      <div className="columns">
        <SessionsPanel userId={u.id} sessions={u.sessions} onReceipt={setReceipt} />
        <div>
          <ProfileForm user={u} />
          <GroupsEditor userId={u.id} groups={u.groups} />
        </div>
      </div>

      {dialog === "lock" ? (
        <LockDialog
          subject={u.username}
          activeSessions={active}
          lock={(wipe) => api.users.lock.mutate({ userId: u.id, wipe })}
          onDone={(result, wipe) => {
            setDialog(null);
            setReceipt({ title: `Locked ${u.username}${wipe ? " and wiped their devices" : ""}`, receipt: result.revocation });
            void refresh();
          }}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === "unlock" ? (
        <ConfirmDialog
          title={`Unlock ${u.username}`}
          confirmLabel="Unlock"
          action={() => api.users.unlock.mutate({ userId: u.id })}
          onDone={() => {
            setDialog(null);
            void refresh();
          }}
          onClose={() => setDialog(null)}
        >
          <p>{u.username} can sign in again. Sessions signed out by the lock stay signed out.</p>
        </ConfirmDialog>
      ) : null}
      {dialog === "delete" ? (
        <ConfirmDialog
          title={`Delete ${u.username}`}
          confirmLabel="Delete user"
          action={() => api.users.delete.mutate({ userId: u.id })}
          onDone={(result) => {
            setDialog(null);
            setDeleted({ title: `Deleted ${u.username}; every session was reset`, receipt: result.revocation });
            queryClient.removeQueries({ queryKey: ["users", "get", u.id] });
            void queryClient.invalidateQueries({ queryKey: ["users", "list"] });
          }}
          onClose={() => setDialog(null)}
        >
          <p className="warning">
            {u.username} disappears from the console and cannot sign in. Every session becomes <span className="badge state-reset">RESET</span>, so
            each device erases its local data when it next connects. The audit log keeps the history.
          </p>
        </ConfirmDialog>
      ) : null}
      {enrollment ? <EnrollmentDialog code={enrollment} username={u.username} onClose={() => setEnrollment(null)} /> : null}
    </>
  );
}
