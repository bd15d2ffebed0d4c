/**
 * Access-token signing keys (Ed25519). The newest unretired key signs; every key stays published
 * until the tokens it signed have expired, so rotation never breaks a live token.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CLOCK_TOLERANCE_SECONDS, MAX_ACCESS_TOKEN_TTL_SECONDS } from "@sesame/core";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import { z } from "zod";
import { randomSecret } from "./crypto.ts";

const storedKeySchema = z.object({
  kid: z.string().min(1),
  privateJwk: z.record(z.string(), z.unknown()),
  publicJwk: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
});
export const keySetSchema = z.object({ keys: z.array(storedKeySchema).min(1) });
export type StoredKeySet = z.infer<typeof keySetSchema>;
type StoredKey = z.infer<typeof storedKeySchema>;

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface KeyRing {
  /** The key that signs new tokens. */
  active: SigningKey;
  /** Public keys to publish at `now`. */
  publicJwks(now: Date): JWK[];
}

/** How long after retirement a key stays published: the longest token lifetime plus skew. */
export const RETIRED_KEY_PUBLISH_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS * 2;

export async function generateStoredKey(now: Date): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const kid = `k_${now.toISOString().slice(0, 10).replaceAll("-", "")}_${randomSecret(6)}`;
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "EdDSA", use: "sig" },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" },
    createdAt: now.toISOString(),
    retiredAt: null,
  };
}

/** Adds a new signing key and retires the current one (kept published until its tokens expire). */
export async function rotateKeySet(set: StoredKeySet, now: Date): Promise<StoredKeySet> {
  const fresh = await generateStoredKey(now);
  const cutoff = now.getTime() - RETIRED_KEY_PUBLISH_SECONDS * 1000;
  const kept = set.keys
    .map((k) => (k.retiredAt ? k : { ...k, retiredAt: now.toISOString() }))
    .filter((k) => k.retiredAt === null || Date.parse(k.retiredAt) > cutoff);
  return { keys: [...kept, fresh] };
}

export async function loadKeyRing(set: StoredKeySet): Promise<KeyRing> {
  const active = [...set.keys].reverse().find((k) => k.retiredAt === null);
  if (!active) throw new Error("signing key set has no active key");
  const privateKey = (await importJWK(active.privateJwk as JWK, "EdDSA")) as CryptoKey;
  return {
    active: { kid: active.kid, privateKey },
    publicJwks(now) {
      const cutoff = now.getTime() - RETIRED_KEY_PUBLISH_SECONDS * 1000;
      return set.keys
        .filter((k) => k.retiredAt === null || Date.parse(k.retiredAt) > cutoff)
        .map((k) => k.publicJwk as JWK);
    },
  };
}

export function parseKeySet(json: string): StoredKeySet {
  return keySetSchema.parse(JSON.parse(json));
}

/** Reads the dev key file, creating it with one fresh key when absent. */
export async function readOrCreateKeyFile(path: string, now: Date): Promise<StoredKeySet> {
  if (existsSync(path)) return parseKeySet(readFileSync(path, "utf8"));
  const set: StoredKeySet = { keys: [await generateStoredKey(now)] };
  writeKeyFile(path, set);
  return set;
}

export function writeKeyFile(path: string, set: StoredKeySet): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(set, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
}
