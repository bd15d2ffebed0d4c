/**
 * The API's session introspection answer (RFC 7662 style), as the edge reads it on a cache miss.
 * `active: false` answers carry the reason so the edge can name it in its 401.
 */
import { z } from "zod";

export const INTROSPECTION_PATH = "/internal/introspect";

export const introspectionRequestSchema = z.object({ sessionId: z.uuid() });

export const introspectionResponseSchema = z.discriminatedUnion("active", [
  z.object({
    active: z.literal(true),
    sid: z.string(),
    sub: z.string(),
    tid: z.string(),
    gen: z.number().int(),
    groups: z.array(z.string()),
    /** Epoch milliseconds. */
    expiresAt: z.number().int(),
    /** Epoch milliseconds: how long the edge may rely on this answer. */
    leaseUntil: z.number().int(),
  }),
  z.object({
    active: z.literal(false),
    reason: z.enum(["session_revoked", "session_expired", "session_not_found"]),
  }),
]);
export type IntrospectionResponse = z.infer<typeof introspectionResponseSchema>;
