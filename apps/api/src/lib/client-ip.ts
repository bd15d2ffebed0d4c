import ipaddr from "ipaddr.js";

/**
 * The caller's IP. Behind one trusted proxy, the right-most `X-Forwarded-For` entry is the peer that
 * proxy saw (it appends it; everything left of it was written by the client and proves nothing).
 * Only that header is read: `X-Real-IP` and the like are whatever the client sent when the proxy
 * does not set them. An entry that is not an address (or no header at all) means the request did not
 * come through the proxy as configured, so the peer address stands — never a client-written header.
 * Without a trusted proxy, forwarded headers are attacker-controlled and ignored.
 */
export function clientIp(headers: Headers, remoteAddress: string | null, trustProxy: boolean): string | null {
  if (trustProxy) {
    const last = headers.get("x-forwarded-for")?.split(",").at(-1);
    const address = last === undefined ? null : parseForwardedAddress(last);
    if (address) return address;
  }
  return remoteAddress;
}

/**
 * One `X-Forwarded-For` entry as an address: `203.0.113.7`, `203.0.113.7:5123`, `2001:db8::1`,
 * `[2001:db8::1]` or `[2001:db8::1]:5123` (proxies differ in whether they add the port).
 * IPv4-mapped IPv6 (`::ffff:203.0.113.7`) is reported as the IPv4 address. Anything else is null.
 */
export function parseForwardedAddress(entry: string): string | null {
  const text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text)?.[1];
  if (bracketed !== undefined) return ipaddr.IPv6.isValid(bracketed) ? ipaddr.process(bracketed).toString() : null;
  const v4 = /^([\d.]+)(?::\d{1,5})?$/.exec(text)?.[1];
  if (v4 !== undefined) return ipaddr.IPv4.isValidFourPartDecimal(v4) ? ipaddr.parse(v4).toString() : null;
  if (!ipaddr.IPv6.isValid(text)) return null;
  const parsed = ipaddr.process(text);
  return parsed.toString();
}

/**
 * The source an IP-keyed limit counts: the IPv4 address, or the IPv6 /64 (one subscriber usually
 * holds a whole /64, so per-address buckets would hand an attacker 2^64 of them).
 */
export function rateLimitSource(ip: string | null): string {
  if (!ip || !ipaddr.isValid(ip)) return "unknown";
  const parsed = ipaddr.process(ip);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${prefix.join(":")}::/64`;
}
