/**
 * The base of enrollment links, which admins send to users and users open: `https:` only, or
 * `http:` on a loopback host (localhost, 127.0.0.0/8, [::1]) for development — a loopback link
 * only ever reaches the machine it is opened on, so it is useless for phishing in production,
 * and that needs no knowledge of the environment here. `javascript:`, `data:` and the rest are refused.
 */
import { z } from "zod";

const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** A loopback host name: http to it never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOST.test(hostname);
}

export function isAllowedEnrollmentUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOST.test(url.hostname));
}

/** The same rule for any URL Sesame sends people or requests to (enrollment links, OIDC issuers and redirects). */
export const httpsOrLoopbackUrlSchema = z
  .string()
  .max(2048)
  .refine(isAllowedEnrollmentUrl, "must be an https:// URL (http:// only for localhost, 127.0.0.1 or [::1])");
export const enrollmentUrlSchema = httpsOrLoopbackUrlSchema;
