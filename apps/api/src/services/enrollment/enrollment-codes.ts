/**
 * One-time enrollment codes (`enrollment.createToken`; redeemed by `auth.enroll`): 8 digits from a
 * CSPRNG, valid 5 minutes, single use. The code is stored as an HMAC under the server's key (a
 * plain hash of 10^8 codes is reversed in seconds). The enrollment link names the code's id, never
 * the code itself, so failed guesses can be counted per code and the code dies after 5 of them.
 */
import { isAllowedEnrollmentUrl, type EnrollmentCode } from "@sesame/core";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { enrollmentTokens, tenants, users } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { hmacHex, randomDigits } from "../../lib/crypto.ts";
import { notFound } from "../../lib/errors.ts";
import { recordEvent } from "../events/record-events.ts";
import type { AdminScope } from "../scope.ts";
import { runInTx, type TxContext } from "../transaction.ts";

const ENROLLMENT_CODE_DIGITS = 8;
const ENROLLMENT_TTL_SECONDS = 5 * 60;
/** Wrong guesses a code survives; the next one kills it. */
export const ENROLLMENT_MAX_FAILURES = 5;


export function hashEnrollmentCode(deps: Pick<AppDeps, "config">, code: string): string {
  return hmacHex(deps.config.encryptionKey, `enrollment:${code}`);
}

async function liveCodeExists(tx: DbOrTx, tenantId: string, codeHash: string, now: Date): Promise<boolean> {
  const [row] = await tx
    .select({ id: enrollmentTokens.id })
    .from(enrollmentTokens)
    .where(and(eq(enrollmentTokens.tenantId, tenantId), eq(enrollmentTokens.codeHash, codeHash), isNull(enrollmentTokens.usedAt), gt(enrollmentTokens.expiresAt, now)))
    .limit(1);
  return row !== undefined;
}

function enrollmentLink(baseUrl: string | null, enrollmentId: string, tenantCode: string): string | null {
  // Settings saved before the rule existed may hold a javascript:/data: URL: no link rather than that.
  if (!baseUrl || !isAllowedEnrollmentUrl(baseUrl)) return null;
  const url = new URL(baseUrl);
  url.searchParams.set("tenant", tenantCode);
  url.searchParams.set("enrollment", enrollmentId);
  return url.toString();
}

export function createEnrollmentToken(deps: AppDeps, scope: AdminScope, input: { userId: string }): Promise<EnrollmentCode> {
  return runInTx(deps, (t) => createEnrollmentTokenInTx(t, scope, input));
}

export async function createEnrollmentTokenInTx({ tx, deps, now }: TxContext, scope: AdminScope, input: { userId: string }): Promise<EnrollmentCode> {
  const { tenantId } = scope;
  const [row] = await tx
    .select({ tenantCode: tenants.code, settings: tenants.settings })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(users.id, input.userId), eq(users.tenantId, tenantId), isNull(users.deletedAt)))
    .limit(1);
  if (!row) throw notFound("User");
  // Codes can be redeemed by their digits and the tenant code, so no two live codes of a tenant may share them: draw again.
  let code = randomDigits(ENROLLMENT_CODE_DIGITS);
  while (await liveCodeExists(tx, tenantId, hashEnrollmentCode(deps, code), now)) code = randomDigits(ENROLLMENT_CODE_DIGITS);
  const expiresAt = new Date(now.getTime() + ENROLLMENT_TTL_SECONDS * 1000);
  const [token] = await tx
    .insert(enrollmentTokens)
    .values({ tenantId, userId: input.userId, codeHash: hashEnrollmentCode(deps, code), createdAt: now, expiresAt })
    .returning({ id: enrollmentTokens.id });
  await recordEvent(
    tx,
    { tenantId, type: "enrollment_token.created", actor: scope.actor, userId: input.userId, data: { enrollmentId: token!.id, expiresAt: expiresAt.toISOString() } },
    now,
  );
  return {
    token: code,
    enrollmentId: token!.id,
    url: enrollmentLink(row.settings.enrollmentUrl, token!.id, row.tenantCode),
    expiresAt: expiresAt.toISOString(),
  };
}
