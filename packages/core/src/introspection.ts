/**
 * The API's session introspection answer (RFC 7662 style), as the edge reads it on a cache miss.
 * `active: false` answers carry the reason so the edge can name it in its 401.
 */
// zod/mini: the edge parses every introspection answer with this, also on Workers.
import * as z from "zod/mini";
import type { ActiveCacheEntry } from "./cache-entry.ts";
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
  z.object({
    active: z.literal(true),
    sid: z.string(),
    sub: z.string(),
    tid: z.string(),
    gen: z.number().check(z.int()),
    groups: z.array(z.string()),
    factors: z._default(z.array(z.string()), []),
    /** Epoch milliseconds. */
    expiresAt: z.number().check(z.int()),
    /** Epoch milliseconds: how long the edge may rely on this answer. */
    leaseUntil: z.number().check(z.int()),
  }),
  z.object({
    active: z.literal(false),
    reason: z.enum([...SESSION_REJECTIONS, "session_not_found"]),
  }),
]);
export type IntrospectionResponse = z.infer<typeof introspectionResponseSchema>;
export type ActiveIntrospectionResponse = Extract<IntrospectionResponse, { active: true }>;

/** The "active" answer for a session, from the entry the API re-fills the cache with: both say the same. */
export function activeIntrospectionAnswer(entry: ActiveCacheEntry): ActiveIntrospectionResponse {
  return {
    active: true,
    sid: entry.sid,
    sub: entry.uid,
    tid: entry.tid,
    gen: entry.gen,
    groups: entry.groups,
    factors: entry.factors,
    expiresAt: entry.expiresAt,
    leaseUntil: entry.leaseUntil,
  };
}
