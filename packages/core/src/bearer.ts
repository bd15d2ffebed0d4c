/**
 * The `Authorization: Bearer` grammar, for every credential Sesame accepts (access tokens, API keys,
 * the root key, the introspection secret): RFC 6750 §2.1's b64token after a case-insensitive
 * scheme, nothing else. One grammar, so the API and the edge read a header the same way.
 */

/** RFC 6750 b64token: what a credential may consist of. Configured secrets must match it. */
export const BEARER_TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;

const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const BEARER_SCHEME = /^Bearer\b/i;

export type BearerAuthorization =
  | { kind: "token"; token: string }
  /** The scheme is Bearer but what follows is not a b64token. */
  | { kind: "malformed" }
  /** No header, or another scheme. */
  | { kind: "absent" };

/**
 * @example
 * const bearer = parseBearerAuthorization(request.headers.get("authorization"));
 * if (bearer.kind === "token") verify(bearer.token);
 */
export function parseBearerAuthorization(header: string | null | undefined): BearerAuthorization {
  if (!header) return { kind: "absent" };
  const match = BEARER_CREDENTIALS.exec(header);
  if (match) return { kind: "token", token: match[1]! };
  return BEARER_SCHEME.test(header) ? { kind: "malformed" } : { kind: "absent" };
}

/** The bearer token, or null when there is none or it is malformed. */
export function bearerToken(header: string | null | undefined): string | null {
  const bearer = parseBearerAuthorization(header);
  return bearer.kind === "token" ? bearer.token : null;
}
