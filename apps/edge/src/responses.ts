/**
 * The edge's refusals as complete responses (RFC 6750 §3): a `WWW-Authenticate` challenge plus a
 * JSON body naming the reason, thrown as HTTPException so any Hono app renders them unchanged.
 */
import { HTTPException } from "hono/http-exception";
import type { EdgeRejection } from "@sesame/core";

/** error_description is a quoted-string limited to printable ASCII without `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, " ");
}

function jsonResponse(status: number, body: Record<string, unknown>, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function rejectionResponse(rejection: EdgeRejection): Response {
  switch (rejection.status) {
    case 401:
      return jsonResponse(
        401,
        { error: rejection.error, message: rejection.description },
        { "www-authenticate": `Bearer error="invalid_token", error_description="${quotable(rejection.description)}"` },
      );
    case 403:
      return jsonResponse(
        403,
        rejection.error === "factor_required"
          ? { error: rejection.error, message: rejection.description, requiredFactors: rejection.requiredFactors }
          : { error: rejection.error, message: rejection.description, requiredGroups: rejection.requiredGroups },
        // RFC 6750 has one error code for "more is needed than this token has"; the body says which.
        { "www-authenticate": `Bearer error="insufficient_scope", error_description="${quotable(rejection.description)}"` },
      );
    case 503:
      return jsonResponse(
        503,
        { error: rejection.error, message: rejection.description, retryAfterSeconds: rejection.retryAfterSeconds },
        { "retry-after": String(rejection.retryAfterSeconds) },
      );
  }
}

export function rejectionException(rejection: EdgeRejection, cause?: unknown): HTTPException {
  return new HTTPException(rejection.status, { res: rejectionResponse(rejection), message: rejection.description, cause });
}

/** No credentials at all: RFC 6750 §3.1 says the challenge carries no error code then. */
export function missingTokenException(): HTTPException {
  const message = "Authentication required: send Authorization: Bearer <access token>";
  return new HTTPException(401, {
    res: jsonResponse(401, { error: "missing_token", message }, { "www-authenticate": "Bearer" }),
    message,
  });
}

/** A path the edge will not normalise (paths.ts): refused before any check or upstream sees it. */
export function invalidPathResponse(problem: string): Response {
  return jsonResponse(400, { error: "invalid_path", message: problem }, {});
}

/** A request the edge cannot act on, naming what is wrong (forward auth without the original URI). */
export function invalidRequestResponse(problem: string): Response {
  return jsonResponse(400, { error: "invalid_request", message: problem }, {});
}

/** The upstream could not be reached or did not answer in time. */
export function badGatewayResponse(): Response {
  return jsonResponse(502, { error: "bad_gateway", message: "The upstream did not answer" }, {});
}
