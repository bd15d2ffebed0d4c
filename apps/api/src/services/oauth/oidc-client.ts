/**
 * The one place that talks to OpenID providers, through `openid-client` 6 (MIT; discovery,
 * PKCE, state/nonce and ID-token checks done by a maintained implementation instead of by hand).
 * Discovered configurations are kept per provider row version for DISCOVERY_TTL_MS, so a sign-in
 * costs no metadata fetch; plain http is allowed only to loopback issuers (development and tests).
 */
import { isLoopbackHost } from "@sesame/core";
import * as oidc from "openid-client";
import type { OAuthProviderRow } from "../../db/schema.ts";
import type { AppDeps } from "../../deps.ts";
import { decryptString } from "../../lib/crypto.ts";

const DISCOVERY_TTL_MS = 10 * 60 * 1000;
/** Calls to the provider (discovery, token endpoint, JWKS) give up after this long. */
const PROVIDER_TIMEOUT_SECONDS = 10;

const discovered = new Map<string, { config: oidc.Configuration; until: number }>();

/** Discovers `issuer` (RFC 8414 / OIDC Discovery) for this client; throws when it cannot. */
export async function discoverIssuer(issuer: string, clientId: string, clientSecret: string): Promise<oidc.Configuration> {
  const url = new URL(issuer);
  const insecure = url.protocol === "http:" && isLoopbackHost(url.hostname);
  const config = await oidc.discovery(url, clientId, { client_secret: clientSecret }, oidc.ClientSecretPost(clientSecret), {
    timeout: PROVIDER_TIMEOUT_SECONDS,
    ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
  });
  config.timeout = PROVIDER_TIMEOUT_SECONDS;
  return config;
}

export async function providerConfiguration(deps: Pick<AppDeps, "config">, provider: OAuthProviderRow): Promise<oidc.Configuration> {
  const key = `${provider.id}:${provider.updatedAt.getTime()}`;
  const hit = discovered.get(key);
  if (hit && hit.until > Date.now()) return hit.config;
  const config = await discoverIssuer(provider.issuer, provider.clientId, decryptString(deps.config.encryptionKey, provider.clientSecretEnc));
  discovered.set(key, { config, until: Date.now() + DISCOVERY_TTL_MS });
  return config;
}

export { oidc };
