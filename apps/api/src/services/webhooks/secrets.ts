/**
 * Webhook signing secrets: `whsec_` + 32 random bytes in base64 (the Standard Webhooks form, which
 * `standardwebhooks` and `svix` read as is). Stored with lib/crypto.ts `encryptString` under
 * `SESAME_ENCRYPTION_KEY`; shown to the admin once.
 */
import { randomBytes } from "node:crypto";
import { decryptString, encryptString } from "../../lib/crypto.ts";
import type { WebhookEndpointRow } from "../../db/schema.ts";

/** How long the previous secret keeps signing after `webhooks.rotateSecret`: a day to deploy the new one. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export const sealSecret = (key: Uint8Array, secret: string) => encryptString(key, secret);

/** The secrets that sign a delivery made at `now`: the current one, and the previous one during the overlap. */
export function signingSecrets(key: Uint8Array, endpoint: Pick<WebhookEndpointRow, "secretEnc" | "previousSecretEnc" | "previousSecretExpiresAt">, now: Date): string[] {
  const out = [decryptString(key, endpoint.secretEnc)];
  if (endpoint.previousSecretEnc && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    out.push(decryptString(key, endpoint.previousSecretEnc));
  }
  return out;
}
