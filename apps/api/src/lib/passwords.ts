/**
 * The one place passwords are hashed and verified. Password hashing: argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane), about
 * 20 ms per hash here. Hashing runs on libuv's thread pool, so call these outside transactions:
 * a transaction held open across a hash blocks the (single, on PGlite) connection for that long.
 */
import { hash, parseOptions, verify, type Algorithm, type Options } from "@node-rs/argon2";
import { isForeignHash, verifyForeignHash } from "./password-formats.ts";

const ARGON2ID = 2 as Algorithm;

const PASSWORD_HASH_OPTIONS = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} satisfies Options;

/** Bounds for a new password. The upper bound keeps one hash from being a denial of service. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Verified instead of a real hash when the user does not exist (or has no password), so a failed
 * sign-in costs the same whether or not the account is there. Its password is a discarded random
 * secret; the parameters match PASSWORD_HASH_OPTIONS so the work is identical.
 */
const DUMMY_PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$RnJBc973s2ZxGp/ZMzOM4g$p31iLhtmpOPYLWu5l3HncK96fkwSuvm1wJCSEAmArko";

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_HASH_OPTIONS);
}

/**
 * Checks `password` against `storedHash`, or against the dummy hash when there is none (always
 * false then). A malformed stored hash counts as a mismatch rather than an error.
 *
 * Every call runs exactly one argon2 verification, whatever is stored, so no attempt costs less
 * than a wrong password for a native user: an imported hash (bcrypt, scrypt, PBKDF2, Firebase
 * scrypt; lib/password-formats.ts) is verified *as well as* the dummy argon2id hash. Such a user's
 * attempt therefore costs more than an unknown user's until their first sign-in re-hashes the
 * password (README "Decisions" › Imported password hashes).
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (storedHash !== null && isForeignHash(storedHash)) {
    const [, matches] = await Promise.all([verify(DUMMY_PASSWORD_HASH, password).catch(() => false), verifyForeignHash(storedHash, password).catch(() => false)]);
    return matches;
  }
  try {
    const matches = await verify(storedHash ?? DUMMY_PASSWORD_HASH, password);
    return matches && storedHash !== null;
  } catch {
    return false;
  }
}

/**
 * True when a stored hash was made with other parameters than today's, or by another algorithm (an
 * imported hash): rehash it to argon2id on the next successful sign-in.
 */
export function passwordNeedsRehash(storedHash: string): boolean {
  if (isForeignHash(storedHash)) return true;
  try {
    const o = parseOptions(storedHash);
    return (
      o.algorithm !== PASSWORD_HASH_OPTIONS.algorithm ||
      o.memoryCost !== PASSWORD_HASH_OPTIONS.memoryCost ||
      o.timeCost !== PASSWORD_HASH_OPTIONS.timeCost ||
      o.parallelism !== PASSWORD_HASH_OPTIONS.parallelism ||
      o.outputLen !== PASSWORD_HASH_OPTIONS.outputLen
    );
  } catch {
    return false;
  }
}
