/**
 * Access-token signing keys: Ed25519 (`EdDSA`) or P-256 (`ES256`), one algorithm per key, recorded
 * in its JWK's `alg`. The newest unretired key signs; every key stays published until the tokens it
 * signed have expired, so rotation never breaks a live token, across algorithms too.
 */
import { createPrivateKey, type JsonWebKey as NodeJwk, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  CLOCK_TOLERANCE_SECONDS,
  DEFAULT_ACCESS_TOKEN_ALGORITHM,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  accessTokenAlgorithmSchema,
  type AccessTokenAlgorithm,
} from "@sesame/core";
import { ConfigError } from "@sesame/service-kit";
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import { z } from "zod";
import { randomSecret } from "./crypto.ts";

const storedKeySchema = z.object({
  kid: z.string().min(1),
  privateJwk: z.record(z.string(), z.unknown()),
  publicJwk: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
});
/** A key set as the key tools read it: may be empty (the first `keys:generate` or `keys:rotate` fills it). */
const editableKeySetSchema = z.object({ keys: z.array(storedKeySchema) });
/** A key set the API can sign with. */
const keySetSchema = z.object({ keys: z.array(storedKeySchema).min(1, "must hold at least one key; create the first with `npm run keys:generate`") });
export type StoredKeySet = z.infer<typeof keySetSchema>;
type StoredKey = z.infer<typeof storedKeySchema>;

export interface SigningKey {
  kid: string;
  alg: AccessTokenAlgorithm;
  /** A Node KeyObject: imported synchronously, so a key file can be reloaded mid-request. */
  privateKey: CryptoKey | KeyObject;
}

export interface KeyRing {
  /** The key that signs new tokens. */
  active: SigningKey;
  /** Public keys to publish at `now`. */
  publicJwks(now: Date): JWK[];
}

/** How long after retirement a key stays published: the longest token lifetime plus skew. */
export const RETIRED_KEY_PUBLISH_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS * 2;

export async function generateStoredKey(now: Date, alg: AccessTokenAlgorithm = DEFAULT_ACCESS_TOKEN_ALGORITHM): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519", extractable: true } : { extractable: true });
  const kid = `k_${now.toISOString().slice(0, 10).replaceAll("-", "")}_${randomSecret(6)}`;
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: "sig" },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
    createdAt: now.toISOString(),
    retiredAt: null,
  };
}

/**
 * Adds a new signing key (of `alg`, which may differ from the current one's) and retires the current
 * one, kept published until its tokens expire.
 */
export async function rotateKeySet(set: StoredKeySet, now: Date, alg: AccessTokenAlgorithm = DEFAULT_ACCESS_TOKEN_ALGORITHM): Promise<StoredKeySet> {
  const fresh = await generateStoredKey(now, alg);
  const cutoff = now.getTime() - RETIRED_KEY_PUBLISH_SECONDS * 1000;
  const kept = set.keys
    .map((k) => (k.retiredAt ? k : { ...k, retiredAt: now.toISOString() }))
    .filter((k) => k.retiredAt === null || Date.parse(k.retiredAt) > cutoff);
  return { keys: [...kept, fresh] };
}

export function loadKeyRing(set: StoredKeySet): Promise<KeyRing> {
  return Promise.resolve(keyRingFromSet(set));
}

/** The ring for a key set: the newest unretired key signs. Synchronous (node:crypto JWK import). */
function keyRingFromSet(set: StoredKeySet): KeyRing {
  const active = [...set.keys].reverse().find((k) => k.retiredAt === null);
  if (!active) throw new Error("signing key set has no active key");
  const privateKey = createPrivateKey({ key: active.privateJwk as NodeJwk, format: "jwk" });
  return {
    active: { kid: active.kid, alg: keyAlgorithm(active), privateKey },
    publicJwks(now) {
      const cutoff = now.getTime() - RETIRED_KEY_PUBLISH_SECONDS * 1000;
      return set.keys
        .filter((k) => k.retiredAt === null || Date.parse(k.retiredAt) > cutoff)
        .map((k) => k.publicJwk as JWK);
    },
  };
}

/** How often a file-backed ring looks at the key file's modification time. */
export const KEY_FILE_CHECK_INTERVAL_MS = 2_000;

export interface FileKeyRingOptions {
  /** Look at the file at most this often; defaults to KEY_FILE_CHECK_INTERVAL_MS. */
  checkIntervalMs?: number;
  /** Called with the new active kid after a reload. */
  onReload?: (activeKid: string) => void;
  /** Called when the changed file cannot be read or parsed; the previous keys stay in use. */
  onError?: (error: unknown) => void;
}

/**
 * A key ring over a key file that follows rotations (`npm run keys:rotate`) without a restart.
 * Reading `active` or the JWKS stats the file at most every `checkIntervalMs`; when its mtime,
 * size or inode changed, the set is re-read. A file that fails to parse (for example mid-edit by
 * hand) leaves the previous keys in use and is tried again at the next check.
 */
export function createFileKeyRing(path: string, initial: StoredKeySet, options: FileKeyRingOptions = {}): KeyRing {
  const interval = options.checkIntervalMs ?? KEY_FILE_CHECK_INTERVAL_MS;
  let ring = keyRingFromSet(initial);
  let seen = fileSignature(path);
  let checkedAt = performance.now();
  const follow = () => {
    const t = performance.now();
    if (t - checkedAt < interval) return;
    checkedAt = t;
    try {
      const signature = fileSignature(path);
      if (signature === seen) return;
      ring = keyRingFromSet(parseKeySet(readFileSync(path, "utf8")));
      seen = signature;
      options.onReload?.(ring.active.kid);
    } catch (error) {
      options.onError?.(error);
    }
  };
  return {
    get active() {
      follow();
      return ring.active;
    },
    publicJwks(now) {
      follow();
      return ring.publicJwks(now);
    },
  };
}

/** The key's algorithm from its JWK: `alg` when present (older EdDSA files may lack it), else by curve. */
function keyAlgorithm(key: StoredKey): AccessTokenAlgorithm {
  const { alg, kty, crv } = key.privateJwk;
  const byCurve = kty === "OKP" && crv === "Ed25519" ? "EdDSA" : kty === "EC" && crv === "P-256" ? "ES256" : null;
  const parsed = accessTokenAlgorithmSchema.safeParse(alg ?? byCurve);
  if (!parsed.success || parsed.data !== byCurve) throw new Error(`signing key ${key.kid}: alg ${String(alg)} with kty ${String(kty)}/crv ${String(crv)} is not EdDSA (Ed25519) or ES256 (P-256)`);
  return parsed.data;
}

function fileSignature(path: string): string | null {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}

/**
 * Parses a key set the API signs with; a malformed one is a ConfigError naming `source` (the
 * variable or file) and what is wrong, never the key material.
 */
export function parseKeySet(json: string, source = "SESAME_SIGNING_KEYS"): StoredKeySet {
  return parseWith(keySetSchema, json, source);
}

/** Parses a key set for the key tools: empty input and `{"keys":[]}` are an empty set. */
export function parseEditableKeySet(text: string, source: string): StoredKeySet {
  return text.trim() === "" ? { keys: [] } : parseWith(editableKeySetSchema, text, source);
}

function parseWith(schema: z.ZodType<StoredKeySet>, text: string, source: string): StoredKeySet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError([`${source}: is not JSON; expected a key set {"keys":[…]} as printed by \`npm run keys:generate\``], "signing keys");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError([`${source}: ${issue.path.join(".") || "(root)"} ${issue.message}`], "signing keys");
  }
  return parsed.data;
}

/** Reads the dev key file, creating it with one fresh key (of `alg`) when absent. */
export async function readOrCreateKeyFile(path: string, now: Date, alg: AccessTokenAlgorithm = DEFAULT_ACCESS_TOKEN_ALGORITHM): Promise<StoredKeySet> {
  if (existsSync(path)) return parseKeySet(readFileSync(path, "utf8"));
  const set: StoredKeySet = { keys: [await generateStoredKey(now, alg)] };
  writeKeyFile(path, set);
  return set;
}

export function writeKeyFile(path: string, set: StoredKeySet): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(set, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
}
