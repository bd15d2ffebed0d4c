/**
 * `users.import` and the streamed `POST /v1/users/import`: users created with the password hashes
 * of the system they come from (lib/password-formats.ts), re-hashed to argon2id at their first
 * sign-in (lib/passwords.ts). The rules: README.md, "Importing users".
 *
 * Rows are taken in chunks; a chunk is one transaction with one lookup and one multi-row insert,
 * so 100,000 rows cost a few hundred statements, not 100,000. Idempotent by `externalId`: a row
 * whose `externalId` a live user of the tenant already has is `skipped` (that user is left as it
 * is), so an interrupted import is simply sent again.
 */
import { usernameKey, type ImportResults, type ImportRowResult, type UserStatus } from "@sesame/core";
import { and, eq, inArray, isNull, or } from "drizzle-orm";
import { users } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { parseImportedHash, type FirebaseScryptParams, type HashParts } from "../../lib/password-formats.ts";
import { recordEvents } from "../events/record-events.ts";
import type { AdminScope } from "../scope.ts";
import { runInTx } from "../transaction.ts";

/** Rows per `users.import` call (tRPC or JSON); more go through the NDJSON stream or several calls. */
export const MAX_IMPORT_BATCH = 1000;
/** Rows per transaction when streaming: large enough to amortise the round trips, small enough to keep locks short. */
export const IMPORT_CHUNK_ROWS = 500;

export interface ImportUserFields {
  externalId: string;
  username: string;
  email?: string | null;
  emailVerified?: boolean;
  firstName?: string | null;
  lastName?: string | null;
  passwordHash?: string | HashParts;
  profile?: Record<string, unknown>;
  groups?: string[];
  config?: Record<string, unknown>;
  status?: UserStatus;
  locked?: boolean;
}

export interface RowError {
  code: string;
  message: string;
  field: string | null;
}

/** A row after its own validation (routers/users.ts `checkImportRow`): its fields, or why it failed. */
export type CheckedImportRow = { index: number; externalId: string | null } & ({ row: ImportUserFields; error?: undefined } | { row?: undefined; error: RowError });

export interface ImportUsersInput {
  rows: CheckedImportRow[];
  firebaseScrypt: FirebaseScryptParams | null;
}

const failed = (index: number, externalId: string | null, code: string, field: string | null, message: string): ImportRowResult => ({
  index,
  externalId,
  status: "failed",
  userId: null,
  error: { code, message: field ? `${field}: ${message}` : message, field },
});

export function summarize(results: ImportRowResult[]): ImportResults["summary"] {
  const summary = { created: 0, skipped: 0, failed: 0 };
  for (const r of results) summary[r.status] += 1;
  return summary;
}

/** One call's rows (at most MAX_IMPORT_BATCH, checked by the router), in chunks. */
export async function importUsers(deps: AppDeps, scope: AdminScope, input: ImportUsersInput): Promise<ImportResults> {
  const results: ImportRowResult[] = [];
  for (let i = 0; i < input.rows.length; i += IMPORT_CHUNK_ROWS) {
    results.push(...(await importChunk(deps, scope, input.rows.slice(i, i + IMPORT_CHUNK_ROWS), input.firebaseScrypt)));
  }
  return { results, summary: summarize(results) };
}

interface Candidate {
  index: number;
  row: ImportUserFields;
  key: string;
  passwordHash: string | null;
}

/** Imports one chunk in one transaction; results in the rows' order. */
export async function importChunk(deps: AppDeps, scope: AdminScope, rows: CheckedImportRow[], firebase: FirebaseScryptParams | null): Promise<ImportRowResult[]> {
  const results = new Map<number, ImportRowResult>();
  const candidates: Candidate[] = [];
  const seen = { externalId: new Set<string>(), key: new Set<string>(), email: new Set<string>() };
  for (const checked of rows) {
    if (checked.error) {
      results.set(checked.index, { index: checked.index, externalId: checked.externalId, status: "failed", userId: null, error: checked.error });
      continue;
    }
    const { row, index } = checked;
    let passwordHash: string | null = null;
    if (row.passwordHash !== undefined) {
      const parsed = parseImportedHash(row.passwordHash, firebase);
      if (!parsed.ok) {
        results.set(index, failed(index, row.externalId, "BAD_REQUEST", "passwordHash", parsed.message));
        continue;
      }
      passwordHash = parsed.stored;
    }
    const key = usernameKey(row.username);
    // Within one request the first row wins; a later duplicate names its field.
    const duplicate = seen.externalId.has(row.externalId) ? "externalId" : seen.key.has(key) ? "username" : row.email && seen.email.has(row.email) ? "email" : null;
    if (duplicate) {
      results.set(index, failed(index, row.externalId, "CONFLICT", duplicate, "repeats an earlier row of this import"));
      continue;
    }
    seen.externalId.add(row.externalId);
    seen.key.add(key);
    if (row.email) seen.email.add(row.email);
    candidates.push({ index, row, key, passwordHash });
  }

  if (candidates.length > 0) {
    await runInTx(deps, async ({ tx, now }) => {
      const emails = candidates.flatMap((c) => (c.row.email ? [c.row.email] : []));
      const existing = await tx
        .select({ id: users.id, externalId: users.externalId, usernameKey: users.usernameKey, email: users.email })
        .from(users)
        .where(
          and(
            eq(users.tenantId, scope.tenantId),
            isNull(users.deletedAt),
            or(
              inArray(users.externalId, candidates.map((c) => c.row.externalId)),
              inArray(users.usernameKey, candidates.map((c) => c.key)),
              ...(emails.length > 0 ? [inArray(users.email, emails)] : []),
            ),
          ),
        );
      const byExternalId = new Map(existing.flatMap((u) => (u.externalId ? [[u.externalId, u.id] as const] : [])));
      const takenKeys = new Set(existing.map((u) => u.usernameKey));
      const takenEmails = new Set(existing.map((u) => u.email));

      const toInsert: Candidate[] = [];
      for (const c of candidates) {
        const skippedAs = byExternalId.get(c.row.externalId);
        if (skippedAs) results.set(c.index, { index: c.index, externalId: c.row.externalId, status: "skipped", userId: skippedAs });
        else if (takenKeys.has(c.key)) results.set(c.index, failed(c.index, c.row.externalId, "CONFLICT", "username", "a user with this username already exists"));
        else if (c.row.email && takenEmails.has(c.row.email)) results.set(c.index, failed(c.index, c.row.externalId, "CONFLICT", "email", "a user with this email already exists"));
        else toInsert.push(c);
      }
      if (toInsert.length === 0) return;

      // A concurrent import or users.create may take a name between the lookup and here: such a row
      // is not inserted (ON CONFLICT DO NOTHING) and fails alone instead of failing the chunk.
      const inserted = await tx
        .insert(users)
        .values(
          toInsert.map(({ row, key, passwordHash }) => ({
            tenantId: scope.tenantId,
            externalId: row.externalId,
            username: row.username,
            usernameKey: key,
            email: row.email ?? null,
            emailVerifiedAt: row.email && row.emailVerified ? now : null,
            passwordHash,
            firstName: row.firstName ?? null,
            lastName: row.lastName ?? null,
            status: row.status ?? (passwordHash ? ("active" as const) : ("pendingJoin" as const)),
            locked: row.locked ?? false,
            lockedAt: row.locked ? now : null,
            profile: row.profile ?? {},
            groups: [...new Set(row.groups ?? [])],
            config: row.config ?? {},
            createdAt: now,
            updatedAt: now,
          })),
        )
        .onConflictDoNothing()
        .returning({ id: users.id, externalId: users.externalId, username: users.username, status: users.status, locked: users.locked });
      const insertedByExternalId = new Map(inserted.map((u) => [u.externalId!, u]));
      for (const c of toInsert) {
        const user = insertedByExternalId.get(c.row.externalId);
        results.set(
          c.index,
          user
            ? { index: c.index, externalId: c.row.externalId, status: "created", userId: user.id }
            : failed(c.index, c.row.externalId, "CONFLICT", "externalId", "another request created a user with this externalId, username or email meanwhile; import the row again"),
        );
      }
      await recordEvents(
        tx,
        inserted.map((u) => ({
          tenantId: scope.tenantId,
          type: "user.created",
          actor: scope.actor,
          userId: u.id,
          data: { username: u.username, status: u.status, via: "import", externalId: u.externalId, ...(u.locked ? { locked: true } : {}) },
        })),
        now,
      );
    });
  }
  return rows.map((r) => results.get(r.index)!);
}
