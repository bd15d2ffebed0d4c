import { isIP } from "node:net";

/**
 * The caller's IP. Behind one trusted proxy, the right-most `X-Forwarded-For` entry is the peer that
 * proxy saw (it appends it; everything left of it was written by the client and proves nothing).
 * Without a trusted proxy, forwarded headers are attacker-controlled and ignored.
 */
export function clientIp(headers: Headers, remoteAddress: string | null, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = headers.get("x-forwarded-for");
    const last = forwarded?.split(",").at(-1)?.trim();
    if (last && isIP(last)) return last;
    const real = headers.get("x-real-ip")?.trim();
    if (real && isIP(real)) return real;
  }
  return remoteAddress;
}
