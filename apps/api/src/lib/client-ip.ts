import { isIP } from "node:net";

/**
 * The caller's IP. Behind a trusted proxy the left-most valid `X-Forwarded-For` entry is the client
 * (the proxy appends the peer it saw); otherwise forwarded headers are attacker-controlled and ignored.
 */
export function clientIp(headers: Headers, remoteAddress: string | null, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = headers.get("x-forwarded-for");
    const first = forwarded?.split(",")[0]?.trim();
    if (first && isIP(first)) return first;
    const real = headers.get("x-real-ip")?.trim();
    if (real && isIP(real)) return real;
  }
  return remoteAddress;
}
