/** Refresh tokens: 256-bit opaque secrets, stored as SHA-256 only. */
import type { DbOrTx } from "../../db/client.ts";
import { refreshTokens } from "../../db/schema.ts";
import { randomSecret, sha256Hex } from "../../lib/crypto.ts";

/** `rt_` + 43 base64url characters (32 bytes from the CSPRNG). */
export const REFRESH_TOKEN_PREFIX = "rt_";

export async function insertRefreshToken(
  db: DbOrTx,
  input: { sessionId: string; generation: number; parentId?: string | null },
  now: Date,
): Promise<{ id: string; token: string }> {
  const token = `${REFRESH_TOKEN_PREFIX}${randomSecret(32)}`;
  const [row] = await db
    .insert(refreshTokens)
    .values({ sessionId: input.sessionId, tokenHash: sha256Hex(token), parentId: input.parentId ?? null, generation: input.generation, createdAt: now })
    .returning({ id: refreshTokens.id });
  return { id: row!.id, token };
}

export const hashRefreshToken = sha256Hex;
