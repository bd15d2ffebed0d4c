/** Pieces every REST route description uses: JSON bodies, answers with the error set, security. */
import type { RouteConfig } from "@hono/zod-openapi";
import { z } from "zod";
import { restErrorSchema } from "./rest-errors.ts";

/** The callers (contract §5), as OpenAPI security schemes. */
export const SECURITY_SCHEMES = {
  apiKey: { type: "http", scheme: "bearer", description: "A tenant API key (`sk_…`): the tenant's admin" },
  rootKey: { type: "http", scheme: "bearer", description: "`SESAME_ROOT_KEY`: tenant management" },
  accessToken: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A user's access token (from sign-in, enrollment or refresh)" },
  basicAuth: { type: "http", scheme: "basic", description: "JourneyApps-style: any user name, the tenant API key as the password" },
} as const;
export type Caller = "apiKey" | "rootKey" | "accessToken" | "public";

export const securityOf = (caller: Caller): RouteConfig["security"] => (caller === "public" ? [] : [{ [caller]: [] }]);

export const jsonBody = (schema: z.ZodType) => ({ content: { "application/json": { schema } }, required: true });

const error = (description: string) => ({ description, content: { "application/json": { schema: restErrorSchema } } });
const retryAfter = { "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer" as const } } };

/** What every route may answer besides its success. */
export const ERROR_RESPONSES = {
  400: error("The input is malformed; `field` names the input at fault"),
  401: error("Missing or invalid credentials"),
  403: error("The caller may not do this"),
  404: error("No such resource in the caller's tenant (another tenant's ids answer the same)"),
  409: error("Conflicts with an existing resource (duplicate username, email, tenant code, device id)"),
  413: error("The request body is larger than `SESAME_MAX_BODY_BYTES`"),
  429: { ...error("Throttled"), headers: retryAfter },
  503: { ...error("A dependency (database or cache) is unavailable"), headers: retryAfter },
} as const;

/** The success answer with a JSON body, and the error set. */
export function answers(status: 200 | 201, schema: z.ZodType, description: string) {
  return { [status]: { description, content: { "application/json": { schema } } }, ...ERROR_RESPONSES };
}

export function noContent(description: string) {
  return { 204: { description }, ...ERROR_RESPONSES };
}

/** Routes without query parameters refuse any (a typo'd parameter should not pass unnoticed). */
export const withQuery = (request: RouteConfig["request"] = {}): RouteConfig["request"] => ({ query: z.object({}).strict(), ...request });
