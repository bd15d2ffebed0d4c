/** Refresh tokens: 256-bit opaque secrets, stored as SHA-256 only. */
import { randomUUID } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import { refreshTokens } from "../../db/schema.ts";
import { randomSecret, sha256Hex } from "../../lib/crypto.ts";

/** `rt_` + 43 base64url characters (32 bytes from the CSPRNG). */
export const REFRESH_TOKEN_PREFIX = "rt_";

export interface MintedRefreshToken {
  id: string;
  token: string;
}

/** A new token and its row id, made before the insert so statements that name it can be sent with it. */
export function mintRefreshToken(): MintedRefreshToken {
  return { id: randomUUID(), token: `${REFRESH_TOKEN_PREFIX}${randomSecret(32)}` };
}

export async function insertRefreshToken(
  db: DbOrTx,
  input: { sessionId: string; generation: number; parentId?: string | null },
  now: Date,
  minted: MintedRefreshToken = mintRefreshToken(),
): Promise<MintedRefreshToken> {
  await db
    .insert(refreshTokens)
    .values({ id: minted.id, sessionId: input.sessionId, tokenHash: sha256Hex(minted.token), parentId: input.parentId ?? null, generation: input.generation, createdAt: now });
  return minted;
}

export const hashRefreshToken = sha256Hex;
