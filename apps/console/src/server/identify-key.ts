/**
 * Sign-in: asks the API who a key belongs to. A tenant API key can read its tenant
 * (`tenants.get`); the root key can list tenants (`tenants.list`). Anything else is refused.
 */
import { createSesameClient, errorCode } from "@sesame/client";
import type { ConsoleSession } from "./session-store.ts";
import type { ApiFetch } from "./api-fetch.ts";

export type KeyIdentity =
  | { ok: true; principal: Pick<ConsoleSession, "role" | "key" | "tenant"> }
  | { ok: false; reason: "invalid_key" | "api_unreachable" | "api_error"; detail: string };

export async function identifyKey(apiUrl: string, key: string, apiFetch: ApiFetch): Promise<KeyIdentity> {
  const client = createSesameClient({ url: apiUrl, apiKey: key, fetch: apiFetch });
  const asTenant = await attempt(() => client.tenants.get.query());
  if (asTenant.ok) {
    const { id, code, name } = asTenant.value;
    return { ok: true, principal: { role: "operator", key, tenant: { id, code, name } } };
  }
  if (asTenant.failure.reason !== "invalid_key") return asTenant.failure;
  const asRoot = await attempt(() => client.tenants.list.query());
  if (asRoot.ok) return { ok: true, principal: { role: "root", key, tenant: null } };
  return asRoot.failure;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; failure: Extract<KeyIdentity, { ok: false }> };

async function attempt<T>(call: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    const code = errorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    // No tRPC code: the request never got a tRPC answer (connection refused, timeout, a proxy's HTML page).
    if (code === null) return { ok: false, failure: { ok: false, reason: "api_unreachable", detail } };
    if (code === "UNAUTHORIZED" || code === "FORBIDDEN") return { ok: false, failure: { ok: false, reason: "invalid_key", detail } };
    return { ok: false, failure: { ok: false, reason: "api_error", detail } };
  }
}
