/**
 * OAuth 2.0 / OpenID Connect sign-in: the shapes of a tenant's providers and of a started flow.
 * The API runs the flow (openid-client); these are what callers see.
 */
import { z } from "zod";
import { httpsOrLoopbackUrlSchema } from "./enrollment-url.ts";

/** A provider's name is the session's `provider` (contract §3), so the built-in ones are taken. */
export const OAUTH_PROVIDER_NAME = /^[a-z][a-z0-9_-]{1,31}$/;
export const RESERVED_PROVIDER_NAMES = ["password", "enrollment", "admin", "anonymous"] as const;

export const oauthProviderNameSchema = z
  .string()
  .regex(OAUTH_PROVIDER_NAME, "must be 2–32 of a-z, 0-9, _ and -, starting with a letter")
  .refine((name) => !(RESERVED_PROVIDER_NAMES as readonly string[]).includes(name), `must not be one of ${RESERVED_PROVIDER_NAMES.join(", ")}`);

export const oauthIssuerSchema = httpsOrLoopbackUrlSchema;
export const oauthRedirectUriSchema = httpsOrLoopbackUrlSchema.refine((value) => !new URL(value).hash, "must not have a #fragment");

const time = z.iso.datetime();

/** A tenant's provider as admins see it: never the client secret. */
export const oauthProviderSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    issuer: z.string(),
    clientId: z.string(),
    redirectUris: z.array(z.string()),
    scopes: z.array(z.string()),
    /** Whether a provider identity with a verified email and no account gets a new user. */
    allowSignUp: z.boolean(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: "OAuthProvider" });
export type OAuthProvider = z.infer<typeof oauthProviderSchema>;

/** `auth.oauth.start`: send the browser to `authorizationUrl`; the provider comes back to the redirect URI. */
export const oauthStartedSchema = z.object({ authorizationUrl: z.string(), expiresAt: time }).meta({ id: "OAuthStarted" });
export type OAuthStarted = z.infer<typeof oauthStartedSchema>;
