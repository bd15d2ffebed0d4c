/**
 * The API's session introspection answer (RFC 7662 style), as the edge reads it on a cache miss.
 * `active: true` answers carry the session's active cache entry as is, so a field added to the
 * entry reaches the edge by both paths; `active: false` answers carry the reason so the edge can
 * name it in its 401. Internal between the API and the edge, not a public contract: an edge and an
 * API from releases on either side of a change to it cannot read each other's active answers (the
 * edge answers 503 on a cache miss until both are upgraded).
 */
// zod/mini: the edge parses every introspection answer with this, also on Workers.
import * as z from "zod/mini";
import { activeCacheEntrySchema } from "./cache-entry.ts";
import { SESSION_REJECTIONS } from "./errors.ts";

/** Where the API answers introspection (POST, `Authorization: Bearer <SESAME_INTROSPECTION_SECRET>`). */
export const INTROSPECTION_PATH = "/internal/introspect";
/** Where the API publishes the public keys of its access tokens (GET, a JWK set). */
export const JWKS_PATH = "/.well-known/jwks.json";
/**
 * Where the API says which tokens it issues (GET, RFC 8414 metadata): `issuer`, `jwks_uri` and
 * `sesame_audience` (the `aud` of its access tokens). The edge compares them with its own settings at start.
 */
export const API_METADATA_PATH = "/.well-known/oauth-authorization-server";

/** The API's metadata document at `API_METADATA_PATH`. */
export interface ApiMetadata {
  issuer: string;
  jwks_uri: string;
  sesame_audience: string;
}

export const introspectionRequestSchema = z.object({ sessionId: z.uuid() });

export const introspectionResponseSchema = z.discriminatedUnion("active", [
  /** The entry the API has just re-filled the cache with: the edge decides on it as on a cache hit (`decideEdgeAccess`). */
  z.object({ active: z.literal(true), entry: activeCacheEntrySchema }),
  z.object({
    active: z.literal(false),
    reason: z.enum([...SESSION_REJECTIONS, "session_not_found"]),
  }),
]);
export type IntrospectionResponse = z.infer<typeof introspectionResponseSchema>;
