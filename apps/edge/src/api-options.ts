/** How the edge reaches a Sesame API: the one place that turns an API's address into edge options. */
import { INTROSPECTION_PATH, JWKS_PATH } from "@sesame/core";
import type { SessionAuthOptions } from "./middleware.ts";

export interface ApiLocation {
  /** The API's base URL, e.g. `https://api.example.com`. */
  apiUrl: string;
  /** `SESAME_INTROSPECTION_SECRET`. */
  secret: string;
  /** Expected `iss`; default `apiUrl` (the API's own default is its public URL). */
  issuer?: string;
  /** Expected `aud`; default `sesame`. */
  audience?: string;
  /** Where the keys are published, when not the API's own `JWKS_PATH`. */
  jwksUrl?: string;
}

/**
 * @example
 * const app = createEdgeApp({ ...edgeOptionsForApi({ apiUrl, secret }), store, upstreamUrl });
 */
export function edgeOptionsForApi(api: ApiLocation): Pick<SessionAuthOptions, "issuer" | "audience" | "jwksUrl" | "introspection"> {
  const apiUrl = api.apiUrl.replace(/\/+$/, "");
  return {
    issuer: api.issuer ?? apiUrl,
    audience: api.audience ?? "sesame",
    jwksUrl: api.jwksUrl ?? `${apiUrl}${JWKS_PATH}`,
    introspection: { url: `${apiUrl}${INTROSPECTION_PATH}`, secret: api.secret },
  };
}
