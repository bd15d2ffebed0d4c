/**
 * TOTP (RFC 6238) through `otpauth`: SHA-1, 6 digits, 30-second steps — what every authenticator
 * app reads from an `otpauth://` URI. A code is accepted for its own step and one on either side
 * (clock drift), and each step at most once: the caller stores the step a code was accepted for and
 * refuses any step not after it.
 */
import { Secret, TOTP } from "otpauth";

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** Steps either side of now that still count: ±30 s of drift. */
const WINDOW = 1;

export const TOTP_PARAMETERS = { algorithm: "SHA1", digits: DIGITS, period: PERIOD_SECONDS } as const;

/** A new secret: 160 bits (RFC 4226 §4's recommended length), base32 as authenticators take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://totp/…` URI an authenticator app scans (as a QR code) or imports. */
export function totpUri(secret: string, account: { issuer: string; label: string }): string {
  return totp(secret, account).toString();
}

/** The step `code` is valid for at `now`, or null. Shape is checked first: only 6 digits are tried. */
export function matchTotpStep(secret: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp: now.getTime(), window: WINDOW });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp: now.getTime() }) + delta;
}

/** The code for `at` (tests act as the user's authenticator with it). */
export function totpCodeAt(secret: string, at: Date): string {
  return totp(secret).generate({ timestamp: at.getTime() });
}

function totp(secret: string, account?: { issuer: string; label: string }) {
  return new TOTP({ ...account, ...TOTP_PARAMETERS, secret: Secret.fromBase32(secret) });
}
