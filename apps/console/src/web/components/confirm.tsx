/** A destructive action asked for explicitly; the API's error, if any, is shown inside the dialog. */
import { useMutation } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { describeError } from "../errors.ts";
import { Dialog } from "./dialog.tsx";
import { FormError } from "./fields.tsx";

export interface ConfirmProps<T> {
  title: string;
  confirmLabel: string;
  children: ReactNode;
  action: () => Promise<T>;
  onDone: (result: T) => void;
  onClose: () => void;
}

export function ConfirmDialog<T>({ title, confirmLabel, children, action, onDone, onClose }: ConfirmProps<T>) {
  const mutation = useMutation({ mutationFn: action, onSuccess: onDone });
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="dialog-body">{children}</div>
      <FormError problem={mutation.error ? describeError(mutation.error) : null} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={mutation.isPending} onClick={() => mutation.mutate()}>
          {mutation.isPending ? "Working…" : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
