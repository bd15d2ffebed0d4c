/**
 * Turns what an ioredis-compatible client answers into the plain RESP shapes Upstash sends back.
 */

/** Reply values as Redis itself would send them: strings, integers, nulls and arrays of those. */
export type RedisReply = string | number | null | RedisReply[];

/** Normalises a client's answer: ioredis turns HGETALL into an object, ioredis-mock returns booleans. */
export function normalizeReply(value: unknown): RedisReply {
  if (value === null || value === undefined || value === false) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  // Lua `true` becomes the integer 1 in real Redis.
  if (value === true) return 1;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (value instanceof Error) return toRedisErrorMessage(value);
  if (Array.isArray(value)) return value.map(normalizeReply);
  // A hash: Redis sends it flat, [field, value, field, value, ...], and @upstash/redis expects that.
  return Object.entries(value as Record<string, unknown>).flatMap(([field, v]) => [field, normalizeReply(v)]);
}

/** Redis error text always starts with an upper-case code (ERR, WRONGTYPE, NOSCRIPT...); keep it so. */
export function toRedisErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^[A-Z][A-Z_]*( |$)/.test(message) ? message : `ERR ${message}`;
}
