import { describe, expect, it } from "vitest";
import {
  checkCredentialAcceptance,
  checkSessionAcceptance,
  compareGeneration,
  idleDeadline,
  signedOutReason,
  type AccountStanding,
  type SessionStanding,
} from "./session-acceptance.ts";

const now = new Date("2026-01-01T12:00:00Z");
const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000);

function session(over: Partial<SessionStanding> = {}): SessionStanding {
  return {
    state: "ENROLLED", expiresAt: at(3600), deletedAt: null, lastAuthenticatedAt: at(-600), lastConnectedAt: null, generation: 2, ...over,
  };
}
const activeUser: AccountStanding = { locked: false, deletedAt: null };
const verdict = (s: Partial<SessionStanding> = {}, user: Partial<AccountStanding> = {}, idleTimeoutSeconds: number | null = null) =>
  checkSessionAcceptance({ session: session(s), user: { ...activeUser, ...user }, idleTimeoutSeconds }, now);

describe("checkSessionAcceptance", () => {
  it("accepts an enrolled session of an active user before expiresAt", () => {
    expect(verdict()).toEqual({ ok: true });
  });

  it("rejects a LOCKED session as revoked (sign in again, keep data)", () => {
    expect(verdict({ state: "LOCKED" })).toEqual({ ok: false, reason: "session_revoked" });
  });

  it("rejects a RESET session as reset (wipe), even once deleted or expired", () => {
    expect(verdict({ state: "RESET" })).toEqual({ ok: false, reason: "session_reset" });
    expect(verdict({ state: "RESET", deletedAt: at(-1) })).toEqual({ ok: false, reason: "session_reset" });
    expect(verdict({ state: "RESET", expiresAt: at(-1) })).toEqual({ ok: false, reason: "session_reset" });
  });

  it("rejects a deleted session as revoked", () => {
    expect(verdict({ deletedAt: at(-1) })).toEqual({ ok: false, reason: "session_revoked" });
  });

  it("rejects every session of a locked user as revoked", () => {
    expect(verdict({}, { locked: true })).toEqual({ ok: false, reason: "session_revoked" });
  });

  it("rejects every session of a deleted user as reset: deleting a user wipes its devices", () => {
    expect(verdict({}, { deletedAt: at(-1) })).toEqual({ ok: false, reason: "session_reset" });
    expect(verdict({ state: "LOCKED" }, { deletedAt: at(-1) })).toEqual({ ok: false, reason: "session_reset" });
  });

  it("rejects at expiresAt as expired", () => {
    expect(verdict({ expiresAt: now })).toEqual({ ok: false, reason: "session_expired" });
    expect(verdict({ expiresAt: at(1) })).toEqual({ ok: true });
  });

  it("with no idle timeout, never expires an idle session", () => {
    expect(verdict({ lastAuthenticatedAt: at(-10 * 86_400) }, {}, null)).toEqual({ ok: true });
    expect(checkSessionAcceptance({ session: session({ lastAuthenticatedAt: at(-10 * 86_400) }), user: activeUser }, now)).toEqual({ ok: true });
  });

  it("expires a session idle since its last connection for the tenant's idle timeout", () => {
    expect(verdict({ lastAuthenticatedAt: at(-7200), lastConnectedAt: at(-1800) }, {}, 1800)).toEqual({ ok: false, reason: "session_expired" });
    expect(verdict({ lastAuthenticatedAt: at(-7200), lastConnectedAt: at(-1799) }, {}, 1800)).toEqual({ ok: true });
  });

  it("measures idleness from sign-in when the session never connected", () => {
    expect(verdict({ lastAuthenticatedAt: at(-1800), lastConnectedAt: null }, {}, 1800)).toEqual({ ok: false, reason: "session_expired" });
    expect(verdict({ lastAuthenticatedAt: at(-1799), lastConnectedAt: null }, {}, 1800)).toEqual({ ok: true });
  });
});

describe("checkCredentialAcceptance", () => {
  const input = (s: Partial<SessionStanding> = {}) => ({ session: session(s), user: activeUser, idleTimeoutSeconds: null });

  it("accepts a credential of the session's current generation", () => {
    expect(checkCredentialAcceptance(input(), 2, now)).toEqual({ ok: true });
  });
  it("rejects a credential from before the session was signed out and enrolled again as revoked", () => {
    expect(checkCredentialAcceptance(input(), 1, now)).toEqual({ ok: false, reason: "session_revoked" });
  });
  it("rejects a credential from a generation the session never had as invalid", () => {
    expect(checkCredentialAcceptance(input(), 3, now)).toEqual({ ok: false, reason: "invalid_token" });
  });
  it("lets the session's own verdict win over the generation", () => {
    expect(checkCredentialAcceptance(input({ state: "RESET" }), 1, now)).toEqual({ ok: false, reason: "session_reset" });
    expect(checkCredentialAcceptance(input({ expiresAt: now }), 3, now)).toEqual({ ok: false, reason: "session_expired" });
  });
});

describe("helpers", () => {
  it("signedOutReason tells RESET from every other signed-out state", () => {
    expect(signedOutReason("RESET")).toBe("session_reset");
    expect(signedOutReason("LOCKED")).toBe("session_revoked");
    expect(signedOutReason("ENROLLED")).toBe("session_revoked");
  });
  it("compareGeneration orders credential against session", () => {
    expect(compareGeneration(2, 2)).toBe("current");
    expect(compareGeneration(1, 2)).toBe("older");
    expect(compareGeneration(3, 2)).toBe("newer");
  });
  it("idleDeadline is null without a timeout, else last connection (or sign-in) plus the timeout", () => {
    expect(idleDeadline(session(), null)).toBeNull();
    expect(idleDeadline(session(), undefined)).toBeNull();
    expect(idleDeadline(session({ lastConnectedAt: at(-60) }), 1800)).toEqual(at(1740));
    expect(idleDeadline(session({ lastAuthenticatedAt: at(-600) }), 1800)).toEqual(at(1200));
  });
});
