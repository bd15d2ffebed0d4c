/**
 * The audit log, newest first, filtered by user, session and type, paged by the API's cursor.
 * Filters apply on submit, so a half-typed id is never sent; a bad one is named under its field.
 */
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "wouter";
import type { EventsListInput } from "../api.ts";
import { FormError, TextField } from "../components/fields.tsx";
import { Time } from "../components/format.tsx";
import { describeError } from "../errors.ts";
import { eventsQuery } from "../queries.ts";
import { usePageTitle } from "../use-page-title.ts";

const PAGE_SIZE = 50;
const FILTERS = ["userId", "sessionId", "type"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

export function AuditPage() {
  usePageTitle("Audit");
  const [params, setParams] = useSearchParams();
  const applied: Filters = { userId: params.get("userId") ?? "", sessionId: params.get("sessionId") ?? "", type: params.get("type") ?? "" };
  const [draft, setDraft] = useState<Filters>(applied);
  // Cursors of the pages before this one; the last entry is the current page's.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const input: EventsListInput = {
    limit: PAGE_SIZE,
    ...(applied.userId ? { userId: applied.userId } : {}),
    ...(applied.sessionId ? { sessionId: applied.sessionId } : {}),
    ...(applied.type ? { type: applied.type } : {}),
    ...(cursor ? { cursor } : {}),
  };
  const events = useQuery(eventsQuery(input));
  const problem = events.error ? describeError(events.error) : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTERS) if (draft[key].trim()) next.set(key, draft[key].trim());
    setParams(next);
    setCursors([]);
  };
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));

  return (
    <>
      <h1>Audit</h1>
      <form className="filters" onSubmit={submit} noValidate>
        <TextField label="User id" field="userId" problem={problem} autoComplete="off" spellCheck={false} value={draft.userId} onChange={set("userId")} />
        <TextField label="Session id" field="sessionId" problem={problem} autoComplete="off" spellCheck={false} value={draft.sessionId} onChange={set("sessionId")} />
        <TextField label="Type" field="type" problem={problem} autoComplete="off" placeholder="e.g. user.locked" value={draft.type} onChange={set("type")} />
        <div className="filter-submit">
          <button type="submit" className="primary">
            Apply filters
          </button>
        </div>
      </form>
      {problem ? (
        <div className="error-box">
          <FormError problem={problem} fields={[...FILTERS, "cursor"]} />
          <button type="button" onClick={() => void events.refetch()}>
            Try again
          </button>
        </div>
      ) : null}
      <div className="table-wrap">
        <table className="events" aria-busy={events.isPending}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">By</th>
              <th scope="col">User</th>
              <th scope="col">Session</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.data?.objects.map((ev) => (
              <tr key={ev.id}>
                <td data-label="When">
                  <Time value={ev.createdAt} />
                </td>
                <td data-label="Type" className="mono">
                  {ev.type}
                </td>
                <td data-label="By">{ev.actor.kind}</td>
                <td data-label="User" className="mono">
                  {ev.userId ? <Link href={`/users/${ev.userId}`}>{ev.userId.slice(0, 8)}</Link> : "—"}
                </td>
                <td data-label="Session" className="mono">
                  {ev.sessionId ? ev.sessionId.slice(0, 8) : "—"}
                </td>
                <td data-label="Details" className="mono details">
                  {Object.keys(ev.data).length ? JSON.stringify(ev.data) : ""}
                </td>
              </tr>
            ))}
            {events.data && events.data.objects.length === 0 ? (
              <tr>
                <td colSpan={6}>No events match.</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Newer
        </button>
        <span>Page {cursors.length + 1}</span>
        <button type="button" disabled={!events.data?.nextCursor} onClick={() => events.data?.nextCursor && setCursors((c) => [...c, events.data.nextCursor!])}>
          Older →
        </button>
      </nav>
    </>
  );
}
