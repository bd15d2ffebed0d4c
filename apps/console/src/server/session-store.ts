/**
 * Console sessions, held in this process's memory only: the operator's key never touches disk, so
 * it needs no encryption at rest, and a restart signs everyone out. The cookie carries a random
 * 256-bit id; the map is keyed by its SHA-256, so the ids themselves are not kept either.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ConsoleRole, ConsoleSessionInfo } from "../shared/protocol.ts";

export interface ConsoleSession {
  role: ConsoleRole;
  /** The key the API accepted at sign-in; sent to the API, never to the browser. */
  key: string;
  tenant: ConsoleSessionInfo["tenant"];
  signedInAt: Date;
  lastSeenAt: Date;
}

export type SessionLookup = { ok: true; session: ConsoleSession } | { ok: false; reason: "expired" | "unknown" };

export interface SessionStoreOptions {
  idleSeconds: number;
  maxSeconds: number;
  now?: () => Date;
  /** Oldest sessions are dropped beyond this many, so a flood of sign-ins cannot exhaust memory. */
  maxSessions?: number;
}

const hashId = (id: string) => createHash("sha256").update(id).digest("base64url");

export function createSessionStore(options: SessionStoreOptions) {
  const now = options.now ?? (() => new Date());
  const maxSessions = options.maxSessions ?? 10_000;
  const sessions = new Map<string, ConsoleSession>();

  const expiresAt = (s: ConsoleSession) =>
    new Date(Math.min(s.lastSeenAt.getTime() + options.idleSeconds * 1000, s.signedInAt.getTime() + options.maxSeconds * 1000));
  const isExpired = (s: ConsoleSession, at: Date) => expiresAt(s).getTime() <= at.getTime();

  function prune() {
    const at = now();
    for (const [key, s] of sessions) if (isExpired(s, at)) sessions.delete(key);
    // Maps iterate in insertion order: the first entries are the oldest sign-ins.
    for (const key of sessions.keys()) {
      if (sessions.size <= maxSessions) break;
      sessions.delete(key);
    }
  }

  return {
    /** Starts a session and returns the id for the cookie. */
    create(input: Pick<ConsoleSession, "role" | "key" | "tenant">): string {
      const id = randomBytes(32).toString("base64url");
      const at = now();
      sessions.set(hashId(id), { ...input, signedInAt: at, lastSeenAt: at });
      prune();
      return id;
    },
    /** The live session for a cookie value, its idle clock restarted; an expired one is removed. */
    use(id: string): SessionLookup {
      const key = hashId(id);
      const session = sessions.get(key);
      if (!session) return { ok: false, reason: "unknown" };
      const at = now();
      if (isExpired(session, at)) {
        sessions.delete(key);
        return { ok: false, reason: "expired" };
      }
      session.lastSeenAt = at;
      return { ok: true, session };
    },
    delete(id: string): void {
      sessions.delete(hashId(id));
    },
    info(session: ConsoleSession): ConsoleSessionInfo {
      return {
        role: session.role,
        tenant: session.tenant,
        signedInAt: session.signedInAt.toISOString(),
        expiresAt: expiresAt(session).toISOString(),
      };
    },
    prune,
    get size() {
      return sessions.size;
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
