/**
 * Locking asks for the wipe choice explicitly: neither option is preselected, and the button stays
 * disabled until the operator has picked one (the API requires `wipe` for the same reason).
 */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { describeError } from "../errors.ts";
import { Dialog } from "./dialog.tsx";
import { FormError } from "./fields.tsx";

export interface LockDialogProps<T> {
  /** Who is being locked, as the operator reads it: "alice" or "3 users". */
  subject: string;
  activeSessions?: number;
  lock: (wipe: boolean) => Promise<T>;
  onDone: (result: T, wipe: boolean) => void;
  onClose: () => void;
}

export function LockDialog<T>({ subject, activeSessions, lock, onDone, onClose }: LockDialogProps<T>) {
  const [wipe, setWipe] = useState<boolean | null>(null);
  const name = useId();
  const mutation = useMutation({ mutationFn: (w: boolean) => lock(w), onSuccess: (result, w) => onDone(result, w) });
  return (
    <Dialog title={`Lock ${subject}`} onClose={onClose}>
      <p className="warning">
        Locking signs {subject} out of {activeSessions === undefined ? "every session" : `${activeSessions} active session${activeSessions === 1 ? "" : "s"}`} at
        once, and no one can sign in as {subject} until unlocked. Sessions signed out now stay signed out after an unlock.
      </p>
      <fieldset className="choices">
        <legend>What should their devices do?</legend>
        <label className="choice">
          <input type="radio" name={name} value="wipe" checked={wipe === true} onChange={() => setWipe(true)} />
          <span>
            <strong>Wipe devices</strong> — sessions become <span className="badge state-reset">RESET</span>: each device erases its local data the
            next time it connects. Use this for a lost or stolen device. It cannot be undone.
          </span>
        </label>
        <label className="choice">
          <input type="radio" name={name} value="keep" checked={wipe === false} onChange={() => setWipe(false)} />
          <span>
            <strong>Sign out only</strong> — sessions become <span className="badge state-locked">LOCKED</span>: devices keep their local data.
          </span>
        </label>
      </fieldset>
      <FormError problem={mutation.error ? describeError(mutation.error) : null} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={wipe === null || mutation.isPending} onClick={() => wipe !== null && mutation.mutate(wipe)}>
          {mutation.isPending ? "Locking…" : wipe === true ? "Lock and wipe" : wipe === false ? "Lock without wipe" : "Choose an option"}
        </button>
      </div>
    </Dialog>
  );
}
