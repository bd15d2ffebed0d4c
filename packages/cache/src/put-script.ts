/**
 * The compare-and-set run by `put`, as one Lua script so the read and the write are atomic.
 *
 * It reads the stored version from the leading `{"version":N,` that `encodeCacheEntry` always writes
 * first, and recognises a tombstone by the literal `"kind":"revoked"` (a string value cannot contain
 * it unescaped). No cjson, so it runs on Redis, on Upstash and on ioredis-mock (fengari) alike.
 * A stored value it cannot read is malformed and gets overwritten.
 */
import { cacheEntryTtlMs, encodeCacheEntry, type CacheEntry } from "@sesame/core";

export const PUT_ENTRY_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local stored = string.match(current, '^{"version":(%d+),')
  if stored then
    stored = tonumber(stored)
    local incoming = tonumber(ARGV[1])
    if stored > incoming then return 0 end
    if stored == incoming and ARGV[2] == '0' and string.find(current, '"kind":"revoked"', 1, true) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
`;

/** ARGV for `PUT_ENTRY_SCRIPT`: version, tombstone flag, encoded entry, TTL in ms. */
export function buildPutEntryArgs(entry: CacheEntry, now: Date): [string, string, string, string] {
  return [
    String(entry.version),
    entry.kind === "revoked" ? "1" : "0",
    encodeCacheEntry(entry),
    String(cacheEntryTtlMs(entry, now)),
  ];
}
