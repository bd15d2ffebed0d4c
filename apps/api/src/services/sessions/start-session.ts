/**
 * Starting a session: admin `sessions.create`, `auth.login` and `auth.enroll` all come here, so a
 * session is made, re-enrolled and cached the same way whatever signed it in.
 */
import type { ClientInfo, MfaFactor, ProviderTokens, RevocationReceipt, SessionTokens } from "@sesame/core";
import { TRPCError } from "@trpc/server";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { refreshTokens, sessions, tenants, users, type SessionRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { encryptString } from "../../lib/crypto.ts";
import { recordEvent } from "../events/record-events.ts";
import { toPublicSession } from "../mappers.ts";
import { commitSessionChange } from "../revocation/session-change.ts";
import type { TenantScope } from "../scope.ts";
import { issueAccessToken } from "../tokens/access-tokens.ts";
import { insertRefreshToken } from "../tokens/refresh-tokens.ts";
import { resolveClientFields } from "./client-fields.ts";

/** The user was locked or deleted while the session was being started. */
class AccountGoneError extends TRPCError {
  constructor(code: "NOT_FOUND" | "FORBIDDEN", message: string) {
    super({ code, message });
  }
}
export const isAccountGone = (error: unknown) => error instanceof AccountGoneError;

export interface StartSessionInput {
  tenantId: string;
  /** Read (whole, with its tenant) under its row lock here: callers need not read it first. */
  userId: string;
  provider: string;
  providerUid?: string | null;
  providerTokens?: ProviderTokens | null;
  accessGroups?: string[];
  /** Second factors verified before the session starts (an MFA sign-in); sets `mfaUpdatedAt`. */
  factors?: MfaFactor[];
  ttlSeconds?: number;
  client?: ClientInfo;
  /** Admin callers may report the end client's user agent and IP; public callers are the client. */
  trustReportedClient: boolean;
}

export interface StartedSession extends SessionTokens {
  /** Sessions signed out by the single-device policy, if any. */
  revocation: RevocationReceipt | null;
}

/** `scope.actor` is who starts it (the admin, or the user signing in); `scope.request` where from. */
export async function startSession(deps: AppDeps, scope: TenantScope, input: StartSessionInput): Promise<StartedSession> {
  const fields = resolveClientFields(input.client, scope.request, input.trustReportedClient);
  const providerTokensEnc = input.providerTokens ? encryptString(deps.config.encryptionKey, JSON.stringify(input.providerTokens)) : null;

  const { value, receipt } = await commitSessionChange(deps, async (change) => {
    const { tx, now } = change;
    // Read the user (with its tenant) under its row lock: users.lock takes the same lock first, so a
    // session can never be started for a user whose lock committed a moment ago. One statement
    // both finds and locks the user, so sessions.create sends no read before its transaction.
    const [current] = await tx
      .select({ user: users, tenant: tenants })
      .from(users)
      .innerJoin(tenants, eq(tenants.id, users.tenantId))
      .where(and(eq(users.id, input.userId), eq(users.tenantId, input.tenantId)))
      .for("update", { of: users })
      .limit(1);
    if (!current || current.user.deletedAt) throw new AccountGoneError("NOT_FOUND", "User not found");
    if (current.user.locked) throw new AccountGoneError("FORBIDDEN", "User is locked");
    const { user, tenant } = current;
    const ttl = Math.min(input.ttlSeconds ?? tenant.settings.sessionTtlSeconds, tenant.settings.sessionTtlSeconds);
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    const values = {
      ...fields,
      accessGroups: input.accessGroups ?? user.groups,
      provider: input.provider,
      providerUid: input.providerUid ?? null,
      providerTokensEnc,
      factors: input.factors ?? [],
      mfaUpdatedAt: input.factors?.length ? now : null,
      expiresAt,
      lastAuthenticatedAt: now,
      updatedAt: now,
    };
    // The same device enrolling again gets its session back, under a new generation if it had been
    // signed out, except a RESET one (README.md, "Decisions" › Signing and › Re-enrolling a wiped device).
    const [existing] = fields.deviceId
      ? await tx
          .select()
          .from(sessions)
          .where(and(eq(sessions.userId, user.id), eq(sessions.deviceId, fields.deviceId), isNull(sessions.deletedAt), ne(sessions.state, "RESET")))
          .for("update")
          .limit(1)
      : [];
    let session: SessionRow;
    if (existing) {
      const wasSignedOut = existing.state !== "ENROLLED";
      [session] = (await tx
        .update(sessions)
        .set({
          ...values,
          state: "ENROLLED",
          signedOutAt: null,
          version: sql`${sessions.version} + 1`,
          generation: wasSignedOut ? sql`${sessions.generation} + 1` : existing.generation,
        })
        .where(eq(sessions.id, existing.id))
        .returning()) as [SessionRow];
      await tx.update(refreshTokens).set({ revokedAt: now }).where(and(eq(refreshTokens.sessionId, existing.id), isNull(refreshTokens.revokedAt)));
      await recordEvent(tx, { tenantId: tenant.id, type: "session.reenrolled", actor: scope.actor, userId: user.id, sessionId: session.id, data: { provider: input.provider, deviceId: fields.deviceId } }, now);
    } else {
      [session] = (await tx.insert(sessions).values({ ...values, tenantId: tenant.id, userId: user.id, createdAt: now }).returning()) as [SessionRow];
    }
    const created = existing
      ? null
      : { tenantId: tenant.id, type: "session.created", actor: scope.actor, userId: user.id, sessionId: session.id, data: { provider: input.provider } };
    if (!tenant.settings.multipleDevicesPerUser) {
      if (created) await recordEvent(tx, created, now);
      await change.apply(
        scope,
        and(eq(sessions.userId, user.id), ne(sessions.id, session.id), eq(sessions.state, "ENROLLED"), isNull(sessions.deletedAt)),
        { type: "lock", cause: "single_device_policy" },
      );
    }
    // The remaining writes are independent: sent together, one wait for Postgres instead of three.
    const [refresh] = await Promise.all([
      insertRefreshToken(tx, { sessionId: session.id, generation: session.generation }, now),
      change.queueActive(session),
      created && tenant.settings.multipleDevicesPerUser ? recordEvent(tx, created, now) : null,
    ]);
    return { session, refreshToken: refresh.token, tenant };
  });

  const { session, tenant } = value;
  const access = await issueAccessToken(
    deps,
    { userId: session.userId, sessionId: session.id, tenantId: tenant.id, generation: session.generation, ttlSeconds: tenant.settings.accessTokenTtlSeconds, notAfter: session.expiresAt },
    deps.now(),
  );
  return {
    session: toPublicSession(session, { currentSessionId: scope.actor.kind === "user" ? session.id : null }),
    accessToken: access.token,
    refreshToken: value.refreshToken,
    accessTokenExpiresAt: access.expiresAt.toISOString(),
    revocation: receipt.sessionIds.length > 0 ? receipt : null,
  };
}
