/**
 * Whether the edge's token settings can accept what the API issues: the same `iss` and `aud`, and
 * a JWKS that publishes the API's signing keys. A mismatch would refuse every token with 401, so
 * the Node entry checks it at start and names exactly what differs.
 */
import { API_METADATA_PATH, JWKS_PATH, type ApiMetadata } from "@sesame/core";

export interface AgreementSettings {
  apiUrl: string;
  issuer: string;
  audience: string;
  jwksUrl: string;
}

export type AgreementResult =
  | { kind: "agree" }
  | { kind: "mismatch"; problems: string[] }
  /** The API did not answer (not started yet, or down): nothing could be compared. */
  | { kind: "unreachable"; reason: string };

const TIMEOUT_MS = 3_000;

async function getJson(url: string, fetchImpl: typeof fetch): Promise<unknown> {
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response.json();
}

function kidsOf(jwks: unknown): string[] {
  const keys = (jwks as { keys?: { kid?: unknown }[] } | null)?.keys;
  return Array.isArray(keys) ? keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === "string") : [];
}

/** Fetches the API's metadata (and JWKS when the edge's differs) and compares them with `settings`. */
export async function checkApiAgreement(settings: AgreementSettings, fetchImpl: typeof fetch = fetch): Promise<AgreementResult> {
  const apiUrl = settings.apiUrl.replace(/\/+$/, "");
  let metadata: Partial<ApiMetadata>;
  try {
    metadata = (await getJson(`${apiUrl}${API_METADATA_PATH}`, fetchImpl)) as Partial<ApiMetadata>;
  } catch (error) {
    return { kind: "unreachable", reason: (error as Error).message };
  }
  const problems: string[] = [];
  if (metadata.issuer !== settings.issuer) {
    problems.push(`the API at ${apiUrl} issues tokens with iss "${String(metadata.issuer)}" but the edge expects "${settings.issuer}": set SESAME_ISSUER=${String(metadata.issuer)} on the edge, or the API's SESAME_ISSUER to match`);
  }
  if (metadata.sesame_audience !== settings.audience) {
    problems.push(`the API issues tokens with aud "${String(metadata.sesame_audience)}" but the edge expects "${settings.audience}": set SESAME_AUDIENCE alike on both`);
  }
  const apiJwksUrl = `${apiUrl}${JWKS_PATH}`;
  if (settings.jwksUrl !== apiJwksUrl) {
    try {
      const [signing, published] = await Promise.all([getJson(apiJwksUrl, fetchImpl), getJson(settings.jwksUrl, fetchImpl)]);
      const missing = kidsOf(signing).filter((kid) => !kidsOf(published).includes(kid));
      if (missing.length > 0) {
        problems.push(`SESAME_JWKS_URL ${settings.jwksUrl} does not publish the API's signing key(s) ${missing.join(", ")} (from ${apiJwksUrl}): unset SESAME_JWKS_URL or point it at the API's keys`);
      }
    } catch (error) {
      problems.push(`SESAME_JWKS_URL ${settings.jwksUrl} could not be read (${(error as Error).message}): unset it or point it at the API's keys (${apiJwksUrl})`);
    }
  }
  return problems.length > 0 ? { kind: "mismatch", problems } : { kind: "agree" };
}
