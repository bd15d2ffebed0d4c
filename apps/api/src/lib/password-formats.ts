/**
 * Password hashes made by other systems (`users.import`), kept until the user's next sign-in
 * re-hashes the password to argon2id (lib/passwords.ts is the one place that verifies). Each kind
 * is stored as one self-describing string:
 *
 * - bcrypt: `$2a$…`, `$2b$…`, `$2y$…` as made (SOAJS, Rails, Laravel…); checked with bcryptjs.
 * - argon2id / argon2i: PHC strings as made; checked by @node-rs/argon2 (lib/passwords.ts).
 * - scrypt: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` (PHC, passlib's form).
 * - PBKDF2: `$pbkdf2-<sha1|sha256|sha512>$i=<iterations>,l=<bytes>$<salt>$<hash>` (PHC), and
 *   passlib's `$pbkdf2-sha256$<iterations>$<salt>$<hash>`.
 * - Firebase's modified scrypt: `$firebase-scrypt$r=<rounds>,m=<memCost>$<salt>$<saltSeparator>$<signerKey>$<hash>`.
 *
 * Salts and hashes are base64 (padding optional; passlib's `.` for `+` is read too). Parameters are
 * bounded so one imported row cannot make a sign-in a denial of service.
 */
import { createCipheriv, pbkdf2, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from "node:crypto";
import bcrypt from "bcryptjs";
import { parseOptions } from "@node-rs/argon2";

export type ImportedHashKind = "bcrypt" | "argon2" | "scrypt" | "pbkdf2" | "firebase-scrypt";

export const PBKDF2_DIGESTS = ["sha1", "sha256", "sha512"] as const;
export type Pbkdf2Digest = (typeof PBKDF2_DIGESTS)[number];

/** Firebase's project-wide "password hash parameters" (console › Authentication › Users › ⋮). */
export interface FirebaseScryptParams {
  /** base64 */
  signerKey: string;
  /** base64 */
  saltSeparator: string;
  rounds: number;
  memCost: number;
}

/** Bounds on imported parameters (well above what the systems named use by default). */
export const LIMITS = {
  bcryptCost: { min: 4, max: 15 },
  /** scrypt's and Firebase's memory: 128 · N · r bytes. */
  scryptMaxMemoryBytes: 256 * 1024 * 1024,
  scryptMaxLogN: 20,
  scryptMaxR: 32,
  scryptMaxP: 16,
  pbkdf2MaxIterations: 5_000_000,
  maxSaltBytes: 128,
  hashBytes: { min: 16, max: 128 },
  firebaseMaxRounds: 32,
  firebaseMaxMemCost: 20,
  maxSignerKeyBytes: 256,
} as const;

/** A parse result: the canonical string to store, or what is wrong with the input. */
export type ParsedHash = { ok: true; kind: ImportedHashKind; stored: string } | { ok: false; message: string };

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(id|i)\$/;

/** Decodes base64 or base64url, with or without padding, and passlib's `.` for `+`; null when not base64. */
export function decodeBase64(value: string): Buffer | null {
  const normalized = value.replace(/\./g, "+").replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(normalized) || normalized.length % 4 === 1) return null;
  return Buffer.from(normalized, "base64");
}

const b64 = (buf: Buffer) => buf.toString("base64").replace(/=+$/, "");
const fail = (message: string): ParsedHash => ({ ok: false, message });
const inRange = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

function checkSaltAndHash(salt: Buffer | null, hash: Buffer | null): string | null {
  if (!salt || salt.length === 0 || salt.length > LIMITS.maxSaltBytes) return `salt must be base64 of 1–${LIMITS.maxSaltBytes} bytes`;
  if (!hash || hash.length < LIMITS.hashBytes.min || hash.length > LIMITS.hashBytes.max) return `hash must be base64 of ${LIMITS.hashBytes.min}–${LIMITS.hashBytes.max} bytes`;
  return null;
}

/** scrypt parameters within bounds, or the problem. */
function scryptProblem(logN: number, r: number, p: number): string | null {
  if (!inRange(logN, 1, LIMITS.scryptMaxLogN)) return `N must be a power of two up to 2^${LIMITS.scryptMaxLogN}`;
  if (!inRange(r, 1, LIMITS.scryptMaxR)) return `r must be 1–${LIMITS.scryptMaxR}`;
  if (!inRange(p, 1, LIMITS.scryptMaxP)) return `p must be 1–${LIMITS.scryptMaxP}`;
  if (128 * 2 ** logN * r > LIMITS.scryptMaxMemoryBytes) return `N and r need more than ${LIMITS.scryptMaxMemoryBytes / 2 ** 20} MiB (128 · N · r bytes)`;
  return null;
}

export function scryptString(logN: number, r: number, p: number, salt: Buffer, hash: Buffer): string {
  return `$scrypt$ln=${logN},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

export function pbkdf2String(digest: Pbkdf2Digest, iterations: number, salt: Buffer, hash: Buffer): string {
  return `$pbkdf2-${digest}$i=${iterations},l=${hash.length}$${b64(salt)}$${b64(hash)}`;
}

export function firebaseString(params: { rounds: number; memCost: number }, salt: Buffer, saltSeparator: Buffer, signerKey: Buffer, hash: Buffer): string {
  return `$firebase-scrypt$r=${params.rounds},m=${params.memCost}$${b64(salt)}$${b64(saltSeparator)}$${b64(signerKey)}$${b64(hash)}`;
}

function phcParams(text: string | undefined): Map<string, number> | null {
  if (!text) return null;
  const out = new Map<string, number>();
  for (const part of text.split(",")) {
    const [k, v] = part.split("=");
    if (!k || v === undefined || !/^\d{1,9}$/.test(v)) return null;
    out.set(k, Number(v));
  }
  return out;
}

export function firebaseParamsProblem(params: FirebaseScryptParams): { field: string; message: string } | null {
  const signerKey = decodeBase64(params.signerKey);
  if (!signerKey || signerKey.length === 0 || signerKey.length > LIMITS.maxSignerKeyBytes) return { field: "signerKey", message: "must be the base64 signer key" };
  if (decodeBase64(params.saltSeparator) === null) return { field: "saltSeparator", message: "must be base64" };
  if (!inRange(params.rounds, 1, LIMITS.firebaseMaxRounds)) return { field: "rounds", message: `must be 1–${LIMITS.firebaseMaxRounds}` };
  if (!inRange(params.memCost, 1, LIMITS.firebaseMaxMemCost) || 128 * 2 ** params.memCost * params.rounds > LIMITS.scryptMaxMemoryBytes) {
    return { field: "memCost", message: `must be 1–${LIMITS.firebaseMaxMemCost}, with 128 · 2^memCost · rounds at most ${LIMITS.scryptMaxMemoryBytes / 2 ** 20} MiB` };
  }
  return null;
}

/**
 * Reads a hash string as another system wrote it (bcrypt, argon2, PHC scrypt or PBKDF2, passlib's
 * PBKDF2, or the canonical Firebase form) and returns the string to store.
 */
export function parseHashString(value: string): ParsedHash {
  const bcryptMatch = BCRYPT.exec(value);
  if (bcryptMatch) {
    const cost = Number(bcryptMatch[1]);
    if (!inRange(cost, LIMITS.bcryptCost.min, LIMITS.bcryptCost.max)) return fail(`bcrypt cost must be ${LIMITS.bcryptCost.min}–${LIMITS.bcryptCost.max}`);
    return { ok: true, kind: "bcrypt", stored: value };
  }
  if (ARGON2.test(value)) {
    try {
      const o = parseOptions(value);
      if ((o.memoryCost ?? 0) > 256 * 1024 || (o.timeCost ?? 0) > 20 || (o.parallelism ?? 0) > 16) return fail("argon2 parameters too large (m ≤ 262144, t ≤ 20, p ≤ 16)");
    } catch {
      return fail("not a valid argon2 PHC string");
    }
    return { ok: true, kind: "argon2", stored: value };
  }
  const parts = value.split("$");
  const id = parts[1];
  if (id === "scrypt" && parts.length === 5) {
    const params = phcParams(parts[2]);
    const logN = params?.get("ln") ?? NaN;
    const problem = scryptProblem(logN, params?.get("r") ?? NaN, params?.get("p") ?? NaN);
    if (problem) return fail(`scrypt: ${problem}`);
    const salt = decodeBase64(parts[3]!);
    const hash = decodeBase64(parts[4]!);
    const bad = checkSaltAndHash(salt, hash);
    if (bad) return fail(`scrypt: ${bad}`);
    return { ok: true, kind: "scrypt", stored: scryptString(logN, params!.get("r")!, params!.get("p")!, salt!, hash!) };
  }
  const pbkdf2Id = /^pbkdf2-(sha1|sha256|sha512)$/.exec(id ?? "");
  if (pbkdf2Id && parts.length === 5) {
    const digest = pbkdf2Id[1] as Pbkdf2Digest;
    // PHC `i=…,l=…` or passlib's bare iteration count.
    const iterations = /^\d{1,9}$/.test(parts[2]!) ? Number(parts[2]) : (phcParams(parts[2])?.get("i") ?? NaN);
    if (!inRange(iterations, 1, LIMITS.pbkdf2MaxIterations)) return fail(`pbkdf2: iterations must be 1–${LIMITS.pbkdf2MaxIterations}`);
    const salt = decodeBase64(parts[3]!);
    const hash = decodeBase64(parts[4]!);
    const bad = checkSaltAndHash(salt, hash);
    if (bad) return fail(`pbkdf2: ${bad}`);
    return { ok: true, kind: "pbkdf2", stored: pbkdf2String(digest, iterations, salt!, hash!) };
  }
  if (id === "firebase-scrypt" && parts.length === 7) {
    const params = phcParams(parts[2]);
    const rounds = params?.get("r") ?? NaN;
    const memCost = params?.get("m") ?? NaN;
    const problem = firebaseParamsProblem({ rounds, memCost, signerKey: parts[5]!, saltSeparator: parts[4]! });
    if (problem) return fail(`firebase-scrypt: ${problem.field} ${problem.message}`);
    const salt = decodeBase64(parts[3]!);
    const hash = decodeBase64(parts[6]!);
    const bad = checkSaltAndHash(salt, hash);
    if (bad) return fail(`firebase-scrypt: ${bad}`);
    return { ok: true, kind: "firebase-scrypt", stored: firebaseString({ rounds, memCost }, salt!, decodeBase64(parts[4]!)!, decodeBase64(parts[5]!)!, hash!) };
  }
  return fail("not a recognised hash: bcrypt ($2a$/$2b$/$2y$), argon2id/argon2i (PHC), $scrypt$, $pbkdf2-sha1|sha256|sha512$ or $firebase-scrypt$ (or give the parameters as an object)");
}

/** True for the hash kinds this module verifies (argon2 is lib/passwords.ts's own). */
export function isForeignHash(stored: string): boolean {
  return BCRYPT.test(stored) || /^\$(scrypt|pbkdf2-(sha1|sha256|sha512)|firebase-scrypt)\$/.test(stored);
}

const scryptAsync = (password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
const pbkdf2Async = (password: BinaryLike, salt: BinaryLike, iterations: number, keylen: number, digest: string) =>
  new Promise<Buffer>((resolve, reject) => pbkdf2(password, salt, iterations, keylen, digest, (err, key) => (err ? reject(err) : resolve(key))));

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
const scryptMaxmem = (n: number, r: number, p: number) => 128 * n * r * p + 128 * r * p + 1024 * 1024;

/**
 * Verifies `password` against a stored foreign hash (after `isForeignHash`). Throws on a string it
 * cannot read; the caller counts that as a mismatch.
 */
export async function verifyForeignHash(stored: string, password: string): Promise<boolean> {
  if (BCRYPT.test(stored)) {
    // bcryptjs reads $2y$ as $2b$ (the same algorithm; PHP's name for it).
    return bcrypt.compare(password, stored.replace(/^\$2y\$/, "$2b$"));
  }
  const parsed = parseHashString(stored);
  if (!parsed.ok) throw new Error(parsed.message);
  const parts = stored.split("$");
  if (parsed.kind === "scrypt") {
    const params = phcParams(parts[2])!;
    const n = 2 ** params.get("ln")!;
    const r = params.get("r")!;
    const p = params.get("p")!;
    const expected = decodeBase64(parts[4]!)!;
    const key = await scryptAsync(password, decodeBase64(parts[3]!)!, expected.length, { N: n, r, p, maxmem: scryptMaxmem(n, r, p) });
    return sameBytes(key, expected);
  }
  if (parsed.kind === "pbkdf2") {
    const digest = parts[1]!.slice("pbkdf2-".length);
    const iterations = phcParams(parts[2])!.get("i")!;
    const expected = decodeBase64(parts[4]!)!;
    const key = await pbkdf2Async(password, decodeBase64(parts[3]!)!, iterations, expected.length, digest);
    return sameBytes(key, expected);
  }
  if (parsed.kind === "firebase-scrypt") {
    const params = phcParams(parts[2])!;
    const rounds = params.get("r")!;
    const n = 2 ** params.get("m")!;
    const salt = Buffer.concat([decodeBase64(parts[3]!)!, decodeBase64(parts[4]!)!]);
    const signerKey = decodeBase64(parts[5]!)!;
    const expected = decodeBase64(parts[6]!)!;
    // Firebase: scrypt(password, salt ‖ separator, N = 2^memCost, r = rounds, p = 1, 64 bytes), then
    // the signer key encrypted with AES-256-CTR under the first 32 bytes, IV zero.
    const derived = await scryptAsync(password, salt, 64, { N: n, r: rounds, p: 1, maxmem: scryptMaxmem(n, rounds, 1) });
    const cipher = createCipheriv("aes-256-ctr", derived.subarray(0, 32), Buffer.alloc(16, 0));
    return sameBytes(Buffer.concat([cipher.update(signerKey), cipher.final()]), expected);
  }
  throw new Error(`not a foreign hash kind: ${parsed.kind}`);
}

/** A hash given by its parts (`users.import`), for systems that do not write one string. */
export type HashParts =
  | { algorithm: "scrypt"; hash: string; salt: string; N: number; r: number; p: number }
  | { algorithm: "pbkdf2"; digest: Pbkdf2Digest; iterations: number; salt: string; hash: string }
  | { algorithm: "firebase-scrypt"; hash: string; salt: string };

/**
 * An imported hash, as a string (see parseHashString) or by its parts, to the string to store.
 * A Firebase hash needs the project's parameters (`firebase`); they are stored with it.
 */
export function parseImportedHash(input: string | HashParts, firebase: FirebaseScryptParams | null): ParsedHash {
  if (typeof input === "string") return parseHashString(input);
  const salt = decodeBase64(input.salt);
  const hash = decodeBase64(input.hash);
  const bad = checkSaltAndHash(salt, hash);
  if (bad) return fail(bad);
  switch (input.algorithm) {
    case "scrypt": {
      const logN = Math.log2(input.N);
      const problem = scryptProblem(logN, input.r, input.p);
      return problem ? fail(problem) : { ok: true, kind: "scrypt", stored: scryptString(logN, input.r, input.p, salt!, hash!) };
    }
    case "pbkdf2":
      if (!inRange(input.iterations, 1, LIMITS.pbkdf2MaxIterations)) return fail(`iterations must be 1–${LIMITS.pbkdf2MaxIterations}`);
      return { ok: true, kind: "pbkdf2", stored: pbkdf2String(input.digest, input.iterations, salt!, hash!) };
    case "firebase-scrypt":
      if (!firebase) return fail("a firebase-scrypt hash needs the import's firebaseScrypt parameters (signerKey, saltSeparator, rounds, memCost)");
      return { ok: true, kind: "firebase-scrypt", stored: firebaseString(firebase, salt!, decodeBase64(firebase.saltSeparator)!, decodeBase64(firebase.signerKey)!, hash!) };
  }
}
