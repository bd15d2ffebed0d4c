/** Small display pieces: times, state badges, empty values. */
import type { Session } from "../api.ts";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function Time({ value, empty = "—" }: { value: string | null | undefined; empty?: string }) {
  if (!value) return <span className="muted">{empty}</span>;
  return <time dateTime={value}>{dateTime.format(new Date(value))}</time>;
}

export function formatTime(value: string): string {
  return dateTime.format(new Date(value));
}

/** The state's name is always written out: colour only repeats it. */
export function StateBadge({ state }: { state: Session["state"] }) {
  return <span className={`badge state-${state.toLowerCase()}`}>{state}</span>;
}

export function Flag({ on, label, kind }: { on: boolean; label: string; kind: "danger" | "ok" }) {
  return on ? <span className={`badge ${kind}`}>{label}</span> : null;
}

export function orDash(value: string | null | undefined) {
  return value ? value : <span className="muted">—</span>;
}

/** "alice, bob" → ["alice", "bob"]; the API names a bad entry by its index. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
