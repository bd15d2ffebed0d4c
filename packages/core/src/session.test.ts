import { describe, expect, it } from "vitest";
import { transitionSession, type SessionStateFields } from "./session.ts";

const now = new Date("2026-01-01T00:00:00Z");
const later = new Date("2026-01-01T00:00:10Z");

function session(over: Partial<SessionStateFields> = {}): SessionStateFields {
  return { state: "ENROLLED", expiresAt: new Date("2026-02-01T00:00:00Z"), deletedAt: null, signedOutAt: null, version: 3, ...over };
}

describe("transitionSession", () => {
  it("locks an enrolled session, records signedOutAt and bumps the version", () => {
    const r = transitionSession(session(), { type: "lock", cause: "lock" }, now);
    expect(r).toEqual({ ok: true, session: { ...session(), state: "LOCKED", signedOutAt: now, version: 4 } });
  });

  it("wipes an enrolled session to RESET", () => {
    const r = transitionSession(session(), { type: "wipe", cause: "wipe" }, now);
    expect(r.ok && r.session.state).toBe("RESET");
  });

  it("wipes a LOCKED session to RESET and keeps the first signedOutAt", () => {
    const r = transitionSession(session({ state: "LOCKED", signedOutAt: now }), { type: "wipe", cause: "wipe" }, later);
    expect(r.ok && r.session).toMatchObject({ state: "RESET", signedOutAt: now, version: 4 });
  });

  it("refuses to weaken RESET to LOCKED", () => {
    expect(transitionSession(session({ state: "RESET" }), { type: "lock", cause: "reauthenticate" }, now)).toEqual({ ok: false, reason: "ALREADY_IN_STATE" });
  });

  it("refuses a second lock of a LOCKED session", () => {
    expect(transitionSession(session({ state: "LOCKED" }), { type: "lock", cause: "logout" }, now)).toEqual({ ok: false, reason: "ALREADY_IN_STATE" });
  });

  it("deletes a session in any state", () => {
    for (const state of ["ENROLLED", "LOCKED", "RESET"] as const) {
      const r = transitionSession(session({ state }), { type: "delete" }, now);
      expect(r.ok && r.session.deletedAt).toEqual(now);
    }
  });

  it("refuses every action on a deleted session", () => {
    const deleted = session({ deletedAt: now });
    expect(transitionSession(deleted, { type: "delete" }, later)).toEqual({ ok: false, reason: "SESSION_DELETED" });
    expect(transitionSession(deleted, { type: "wipe", cause: "wipe" }, later)).toEqual({ ok: false, reason: "SESSION_DELETED" });
  });

  it("never returns a session to ENROLLED", () => {
    const actions = [{ type: "lock", cause: "lock" }, { type: "wipe", cause: "wipe" }, { type: "delete" }] as const;
    for (const state of ["LOCKED", "RESET"] as const) {
      for (const action of actions) {
        const r = transitionSession(session({ state }), action, now);
        if (r.ok) expect(r.session.state).not.toBe("ENROLLED");
      }
    }
  });
});
