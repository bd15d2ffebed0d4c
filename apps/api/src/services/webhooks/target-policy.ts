/**
 * Where a webhook may be sent (README "Webhooks" › Safety). A URL is checked when an endpoint is
 * saved (scheme, credentials, literal addresses) and every address is checked again after DNS
 * resolution when a delivery connects (send.ts pins the connection to the address checked here),
 * so a name that resolves to an internal address — or starts to, later — is refused too.
 */
import ipaddr from "ipaddr.js";

export interface TargetPolicy {
  /** `SESAME_WEBHOOKS_ALLOW_PRIVATE`: loopback and private addresses allowed (development, tests). */
  allowPrivate: boolean;
  /** Only `https:` (production). */
  httpsOnly: boolean;
}

/**
 * ipaddr.js ranges that are the public internet. Everything else — loopback, private (10/8,
 * 172.16/12, 192.168/16), link-local (169.254/16 with the cloud metadata service 169.254.169.254),
 * unique-local (fc00::/7 with AWS's fd00:ec2::254), carrier-grade NAT, unspecified, multicast,
 * broadcast, reserved, documentation and the IPv6 transition ranges that embed such addresses — is
 * refused.
 */
const PUBLIC_RANGES = new Set(["unicast"]);

/** The ipaddr.js range of an address that may not be a webhook target, or null when it may. */
function forbiddenRange(address: string, policy: Pick<TargetPolicy, "allowPrivate">): string | null {
  if (policy.allowPrivate) return null;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
  const range = ipaddr.process(address).range();
  return PUBLIC_RANGES.has(range) ? null : range;
}

/** Why an address may not be a webhook target, or null when it may. */
export function forbiddenAddressReason(address: string, policy: Pick<TargetPolicy, "allowPrivate">): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const range = forbiddenRange(address, policy);
  return range ? `${address} is a ${range} address; webhooks go to public addresses only` : null;
}

/** Checks a URL an admin gives; returns the problem, or null. */
export function webhookUrlProblem(raw: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an https: URL";
  if (policy.httpsOnly && url.protocol !== "https:") return "must be an https: URL";
  if (url.username || url.password) return "must not carry credentials (put a secret in the path, or verify the signature)";
  if (url.hash) return "must not have a #fragment";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (ipaddr.isValid(host)) {
    const range = forbiddenRange(host, policy);
    if (range) return `must not point at a ${range} address (${host}): webhooks go to public addresses only`;
  } else if (!policy.allowPrivate && (host === "localhost" || host.endsWith(".localhost") || !host.includes("."))) {
    return "must name a public host";
  }
  return null;
}
