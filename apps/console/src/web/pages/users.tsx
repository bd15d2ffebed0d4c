/**
 * Users: server-side search, filters and paging (10,000 users cost one page of rows), selection
 * across pages for batch lock/unlock, and the new-user form. List state lives in the URL, so Back
 * and reload return to the same page of the same search.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "wouter";
import type { User, UsersListInput } from "../api.ts";
import { BatchPanel } from "../components/batch-panel.tsx";
import { FormError, SelectField, TextField } from "../components/fields.tsx";
import { Flag, orDash, Time } from "../components/format.tsx";
import { NewUserForm } from "../components/new-user-form.tsx";
import { describeError } from "../errors.ts";
import { usersListQuery } from "../queries.ts";
import { usePageTitle } from "../use-page-title.ts";

const PAGE_SIZES = [25, 50, 100];
const SEARCH_DEBOUNCE_MS = 300;
const tristate = (v: string | null) => (v === "yes" ? true : v === "no" ? false : undefined);

export function UsersPage() {
  usePageTitle("Users");
  const [params, setParams] = useSearchParams();
  const query = params.get("q") ?? "";
  const locked = params.get("locked") ?? "";
  const enrolled = params.get("enrolled") ?? "";
  const size = PAGE_SIZES.includes(Number(params.get("size"))) ? Number(params.get("size")) : 50;
  const page = Math.max(1, Math.floor(Number(params.get("page")) || 1));
  const update = (changes: Record<string, string | null>, resetPage = true) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(changes)) {
          if (v === null || v === "") next.delete(k);
          else next.set(k, v);
        }
        if (resetPage) next.delete("page");
        return next;
      },
      { replace: true },
    );

  // What is typed shows at once; the search runs once typing pauses.
  const [typed, setTyped] = useState(query);
  useEffect(() => {
    const trimmed = typed.trim();
    if (trimmed === query) return;
    const timer = setTimeout(() => update({ q: trimmed }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);

  const input: UsersListInput = {
    limit: size,
    skip: (page - 1) * size,
    ...(query ? { query } : {}),
    ...(tristate(locked) !== undefined ? { locked: tristate(locked) } : {}),
    ...(tristate(enrolled) !== undefined ? { enrolled: tristate(enrolled) } : {}),
  };
  const list = useQuery(usersListQuery(input));
  const data = list.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / size)) : 1;

  // A page past the end (the list shrank under a filter, or a stale link): go to the last one.
  useEffect(() => {
    if (data && data.total > 0 && page > pages) update({ page: String(pages) }, false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, page, pages]);

  // The benchmark's "interactive" point: the first page of users is on screen and usable.
  const marked = useRef(false);
  useEffect(() => {
    if (data && !marked.current) {
      marked.current = true;
      performance.mark("console:users-ready");
      document.documentElement.dataset.usersReady = "true";
    }
  }, [data]);

  const [selected, setSelected] = useState<Map<string, string>>(new Map());
  const toggle = (user: User) =>
    setSelected((prev) => {
      const next = new Map(prev);
      if (next.has(user.id)) next.delete(user.id);
      else next.set(user.id, user.username);
      return next;
    });
  const pageIds = data?.objects ?? [];
  const allOnPage = pageIds.length > 0 && pageIds.every((u) => selected.has(u.id));
  const togglePage = () =>
    setSelected((prev) => {
      const next = new Map(prev);
      for (const u of pageIds) {
        if (allOnPage) next.delete(u.id);
        else next.set(u.id, u.username);
      }
      return next;
    });

  const [creating, setCreating] = useState(false);
  const first = data && data.count > 0 ? (page - 1) * size + 1 : 0;

  return (
    <>
      <div className="page-head">
        <h1>Users</h1>
        <button type="button" className="primary" aria-expanded={creating} aria-controls="new-user" onClick={() => setCreating((v) => !v)}>
          {creating ? "Close new user form" : "New user"}
        </button>
      </div>
      {creating ? <NewUserForm id="new-user" /> : null}

      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Search"
          field="query"
          problem={list.error ? describeError(list.error) : null}
          type="search"
          placeholder="username, email or name"
          value={typed}
          maxLength={200}
          onChange={(e) => setTyped(e.target.value)}
        />
        <SelectField
          label="Locked"
          field="locked"
          problem={null}
          value={locked}
          onChange={(e) => update({ locked: e.target.value })}
          options={[
            { value: "", label: "Any" },
            { value: "yes", label: "Locked" },
            { value: "no", label: "Not locked" },
          ]}
        />
        <SelectField
          label="Enrolled"
          field="enrolled"
          problem={null}
          value={enrolled}
          onChange={(e) => update({ enrolled: e.target.value })}
          options={[
            { value: "", label: "Any" },
            { value: "yes", label: "Enrolled" },
            { value: "no", label: "Not enrolled" },
          ]}
        />
        <SelectField
          label="Per page"
          field="limit"
          problem={null}
          value={String(size)}
          onChange={(e) => update({ size: e.target.value })}
          options={PAGE_SIZES.map((n) => ({ value: String(n), label: String(n) }))}
        />
      </form>

      <p className="summary" aria-live="polite" data-testid="users-summary">
        {data ? (
          data.total === 0 ? (
            "No users match."
          ) : (
            <>
              {first.toLocaleString()}–{(first + data.count - 1).toLocaleString()} of {data.total.toLocaleString()} users
            </>
          )
        ) : list.isError ? (
          "Users could not be loaded."
        ) : (
          "Loading users…"
        )}
        {list.isFetching && data ? <span className="muted"> · updating…</span> : null}
      </p>
      {list.isError ? (
        <div className="error-box">
          <FormError problem={describeError(list.error)} fields={["query"]} />
          <button type="button" onClick={() => void list.refetch()}>
            Try again
          </button>
        </div>
      ) : null}

      <BatchPanel selected={selected} onClear={() => setSelected(new Map())} />

      <div className="table-wrap">
        <table className="users" aria-busy={!data}>
          <thead>
            <tr>
              <th scope="col" className="select">
                <input type="checkbox" aria-label="Select every user on this page" checked={allOnPage} onChange={togglePage} disabled={!data} />
              </th>
              <th scope="col">Username</th>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">State</th>
              <th scope="col">Last connected</th>
            </tr>
          </thead>
          <tbody>
            {data
              ? data.objects.map((u) => (
                  <tr key={u.id}>
                    <td className="select">
                      <input type="checkbox" aria-label={`Select ${u.username}`} checked={selected.has(u.id)} onChange={() => toggle(u)} />
                    </td>
                    <td data-label="Username">
                      <Link href={`/users/${u.id}`}>{u.username}</Link>
                    </td>
                    <td data-label="Name">{orDash([u.firstName, u.lastName].filter(Boolean).join(" "))}</td>
                    <td data-label="Email">{orDash(u.email)}</td>
                    <td data-label="State">
                      <span className="flags">
                        <Flag on={u.locked} label="Locked" kind="danger" />
                        <Flag on={u.enrolled} label="Enrolled" kind="ok" />
                        {u.status === "pendingJoin" ? <span className="badge">Pending join</span> : null}
                      </span>
                    </td>
                    <td data-label="Last connected">
                      <Time value={u.lastConnectedAt} empty="never" />
                    </td>
                  </tr>
                ))
              : Array.from({ length: Math.min(size, 25) }, (_, i) => (
                  <tr key={i} className="placeholder" aria-hidden="true">
                    <td colSpan={6}>&nbsp;</td>
                  </tr>
                ))}
          </tbody>
        </table>
      </div>

      <Pager page={page} pages={pages} disabled={!data} onPage={(p) => update({ page: p === 1 ? null : String(p) }, false)} />
    </>
  );
}

function Pager({ page, pages, disabled, onPage }: { page: number; pages: number; disabled: boolean; onPage: (page: number) => void }) {
  const [typed, setTyped] = useState(String(page));
  const [shown, setShown] = useState(page);
  if (page !== shown) {
    setShown(page);
    setTyped(String(page));
  }
  const go = () => {
    const n = Math.min(pages, Math.max(1, Math.floor(Number(typed)) || 1));
    setTyped(String(n));
    if (n !== page) onPage(n);
  };
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={disabled || page <= 1} onClick={() => onPage(page - 1)}>
        ← Previous
      </button>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          go();
        }}
      >
        <label htmlFor="page-number">Page</label>
        <input id="page-number" type="number" inputMode="numeric" min={1} max={pages} value={typed} onChange={(e) => setTyped(e.target.value)} onBlur={go} disabled={disabled} />
        <span>of {pages.toLocaleString()}</span>
      </form>
      <button type="button" disabled={disabled || page >= pages} onClick={() => onPage(page + 1)}>
        Next →
      </button>
    </nav>
  );
}
