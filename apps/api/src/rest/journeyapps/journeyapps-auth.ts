/**
 * JourneyApps backend clients authenticate with HTTP Basic; Sesame's callers read Bearer tokens.
 * A Basic password (the tenant API key) becomes the Bearer credential, so the key is checked by the
 * one admin authentication every surface uses. The Basic user name is not checked (JourneyApps puts
 * the deployment id there; the path names the tenant, and the key decides it).
 */

/** The Authorization header to authenticate with: Bearer as given, Basic as `Bearer <password>`, else null. */
export function bearerAuthorization(header: string | null): string | null {
  if (!header) return null;
  const basic = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!basic) return header;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(basic[1]!), (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : `Bearer ${decoded.slice(colon + 1)}`;
}

/** Asks JourneyApps clients for Basic, as JourneyApps does; Bearer keys work as well. */
export const JOURNEYAPPS_CHALLENGE = 'Basic realm="Sesame", charset="UTF-8"';
