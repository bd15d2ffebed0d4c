/**
 * Labelled form controls that show the API's message for their field right under them
 * (`aria-invalid` + `aria-describedby`), and a form-level message for errors no field owns.
 */
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";
import { fieldProblem, isShownAtField, type Problem } from "../errors.ts";

interface FieldBase {
  label: string;
  /** The API's name for the field (its `data.field`), e.g. `email` or `settings.sessionTtlSeconds`. */
  field: string;
  problem: Problem | null;
  hint?: ReactNode;
}

function useFieldIds(props: FieldBase) {
  const id = useId();
  const message = fieldProblem(props.problem, props.field);
  const describedBy = [props.hint ? `${id}-hint` : null, message ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  const extras = (
    <>
      {props.hint ? (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      ) : null}
      {message ? (
        <small id={`${id}-error`} className="field-error" role="alert">
          {message}
        </small>
      ) : null}
    </>
  );
  return { id, message, describedBy, extras };
}

export function TextField(props: FieldBase & InputHTMLAttributes<HTMLInputElement>) {
  const { label, field, problem, hint, className, ...input } = props;
  const { id, message, describedBy, extras } = useFieldIds({ label, field, problem, hint });
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} name={field} aria-invalid={message ? true : undefined} aria-describedby={describedBy} {...input} />
      {extras}
    </div>
  );
}

export function TextAreaField(props: FieldBase & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const { label, field, problem, hint, className, ...input } = props;
  const { id, message, describedBy, extras } = useFieldIds({ label, field, problem, hint });
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id}>{label}</label>
      <textarea id={id} name={field} aria-invalid={message ? true : undefined} aria-describedby={describedBy} {...input} />
      {extras}
    </div>
  );
}

export function SelectField(props: FieldBase & SelectHTMLAttributes<HTMLSelectElement> & { options: { value: string; label: string }[] }) {
  const { label, field, problem, hint, className, options, ...select } = props;
  const { id, message, describedBy, extras } = useFieldIds({ label, field, problem, hint });
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id}>{label}</label>
      <select id={id} name={field} aria-invalid={message ? true : undefined} aria-describedby={describedBy} {...select}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {extras}
    </div>
  );
}

export function CheckboxField(props: FieldBase & InputHTMLAttributes<HTMLInputElement>) {
  const { label, field, problem, hint, className, ...input } = props;
  const { id, message, describedBy, extras } = useFieldIds({ label, field, problem, hint });
  return (
    <div className={`field checkbox ${className ?? ""}`}>
      <input id={id} type="checkbox" name={field} aria-invalid={message ? true : undefined} aria-describedby={describedBy} {...input} />
      <label htmlFor={id}>{label}</label>
      {extras}
    </div>
  );
}

/** The problem beside the submit button, unless one of `fields` already shows it. */
export function FormError({ problem, fields = [] }: { problem: Problem | null; fields?: readonly string[] }) {
  if (!problem || isShownAtField(problem, fields)) return null;
  return (
    <p className="error" role="alert">
      {problem.message}
    </p>
  );
}

/** The end of every console form: its error (when no field shows it), the submit button and what it did. */
export function FormEnd({
  problem,
  fields = [],
  pending,
  idleLabel,
  pendingLabel,
  done,
}: {
  problem: Problem | null;
  fields?: readonly string[];
  pending: boolean;
  idleLabel: string;
  pendingLabel: string;
  done?: ReactNode;
}) {
  return (
    <div className="form-end">
      <FormError problem={problem} fields={fields} />
      <button type="submit" className="primary" disabled={pending}>
        {pending ? pendingLabel : idleLabel}
      </button>
      {done ? (
        <span role="status" className="ok-text">
          {done}
        </span>
      ) : null}
    </div>
  );
}
