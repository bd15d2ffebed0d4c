/**
 * A modal on the native <dialog>: the browser traps focus, Esc closes it, and the page behind is inert.
 */
import { useEffect, useId, useRef, type ReactNode } from "react";

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** The sign-in dialog cannot be dismissed: there is nothing to go back to without a session. */
  dismissible?: boolean;
  className?: string;
}

export function Dialog({ title, onClose, children, dismissible = true, className }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      className={`dialog ${className ?? ""}`}
      onCancel={(e) => {
        e.preventDefault();
        if (dismissible) onClose();
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        {dismissible ? (
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        ) : null}
      </div>
      {children}
    </dialog>
  );
}
