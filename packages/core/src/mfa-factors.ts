/**
 * The factor names a session can carry. A module of its own, without zod: the edge (and its Workers
 * bundle) reads them, and `mfa.ts`'s classic-zod schemas would otherwise come along.
 */

/**
 * Factors a session can have verified. A recovery code stands in for the authenticator it backs up,
 * so it verifies `totp` (README "Decisions" › MFA).
 */
export const MFA_FACTORS = ["totp"] as const;
export type MfaFactor = (typeof MFA_FACTORS)[number];
