/**
 * Recovery codes: ten per user, shown once when a factor is confirmed (or the set is renewed), kept
 * as HMAC-SHA-256 under the server secret and good once each. 10 base32 characters are 50 bits: too
 * few for a plain hash to resist an offline search of a stolen table, hence the keyed hash (as for
 * enrollment codes). They are typed by people, so case, spaces and dashes do not matter.
 */
import { randomInt } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.ts";
import { mfaRecoveryCodes } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { hmacHex } from "../../lib/crypto.ts";

export const RECOVERY_CODE_COUNT = 10;
/** RFC 4648 base32 without the digits easily misread (0, 1, 8 are absent from it already). */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `XXXXX-XXXXX`. */
function newRecoveryCode(): string {
  let out = "";
  for (let i = 0; i < 10; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/** What was typed, in the form that was hashed; null when it cannot be a recovery code. */
export function normalRecoveryCode(typed: string): string | null {
  const normal = typed.replace(/[\s-]/g, "").toUpperCase();
  return /^[A-Z2-7]{10}$/.test(normal) ? normal : null;
}

function recoveryCodeHash(deps: Pick<AppDeps, "config">, userId: string, normal: string): string {
  return hmacHex(deps.config.encryptionKey, `recovery:${userId}:${normal}`);
}

/** Replaces the user's codes with a new set and returns it (the only time the codes are seen). */
export async function replaceRecoveryCodes(deps: Pick<AppDeps, "config">, tx: DbOrTx, userId: string, now: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
  await tx.insert(mfaRecoveryCodes).values(codes.map((code) => ({ userId, codeHash: recoveryCodeHash(deps, userId, normalRecoveryCode(code)!), createdAt: now })));
  return codes;
}

/** Uses up the code if it is one of the user's unused ones; one conditional update, so a code races to one winner. */
export async function consumeRecoveryCode(deps: Pick<AppDeps, "config" | "db">, userId: string, typed: string, now: Date): Promise<boolean> {
  const normal = normalRecoveryCode(typed);
  if (!normal) return false;
  const rows = await deps.db
    .update(mfaRecoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(mfaRecoveryCodes.userId, userId), eq(mfaRecoveryCodes.codeHash, recoveryCodeHash(deps, userId, normal)), isNull(mfaRecoveryCodes.usedAt)))
    .returning({ id: mfaRecoveryCodes.id });
  return rows.length > 0;
}

export async function unusedRecoveryCodes(db: DbOrTx, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(mfaRecoveryCodes)
    .where(and(eq(mfaRecoveryCodes.userId, userId), isNull(mfaRecoveryCodes.usedAt)));
  return row?.n ?? 0;
}
