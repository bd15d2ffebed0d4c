/** A secret the API shows only once: visible, selectable, copyable, and gone once dismissed. */
import { useState } from "react";

export function OnceKey({ label, secret, onDismiss }: { label: string; secret: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="once-key" role="status">
      <p>
        <strong>{label}</strong> — copy it now: it is shown only this once and cannot be read again.
      </p>
      <output className="secret mono" data-testid="once-key">
        {secret}
      </output>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </div>
  );
}
