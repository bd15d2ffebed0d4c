/**
 * `auth.oauth.*`: a tenant's OpenID Connect providers (admin) and the sign-in flow (public).
 * The flow's answer is `auth.login`'s: tokens, or a second-factor challenge.
 */
import { clientInfoSchema, oauthIssuerSchema, oauthProviderNameSchema, oauthProviderSchema, oauthRedirectUriSchema, oauthStartedSchema, signInResultSchema } from "@sesame/core";
import { z } from "zod";
import { finishOAuth, startOAuth } from "../services/oauth/flow.ts";
import { createProvider, deleteProvider, listProviders, updateProvider } from "../services/oauth/providers.ts";
import { adminProcedure, publicProcedure, router } from "../trpc.ts";
import { uuid } from "./inputs.ts";

const clientId = z.string().trim().min(1).max(512);
const clientSecret = z.string().min(1).max(1024);
const redirectUris = z.array(oauthRedirectUriSchema).min(1).max(20);
const scopes = z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, "must be an OAuth scope token")).max(30);

export const createProviderInput = z
  .object({ name: oauthProviderNameSchema, issuer: oauthIssuerSchema, clientId, clientSecret, redirectUris, scopes: scopes.optional(), allowSignUp: z.boolean().optional() })
  .strict();
export const updateProviderInput = z
  .object({ providerId: uuid, issuer: oauthIssuerSchema.optional(), clientId: clientId.optional(), clientSecret: clientSecret.optional(), redirectUris: redirectUris.optional(), scopes: scopes.optional(), allowSignUp: z.boolean().optional() })
  .strict();
export const providerRefInput = z.object({ providerId: uuid }).strict();
export const oauthStartInput = z
  .object({ tenant: z.string().trim().min(1).max(64), provider: z.string().min(1).max(32), redirectUri: z.string().min(1).max(2048), client: clientInfoSchema.optional() })
  .strict();
export const oauthCallbackInput = z.object({ callbackUrl: z.url().max(8192) }).strict();

export const oauthRouter = router({
  createProvider: adminProcedure.input(createProviderInput).output(oauthProviderSchema).mutation(({ ctx, input }) => createProvider(ctx.deps, ctx.scope, input)),
  listProviders: adminProcedure.output(z.array(oauthProviderSchema)).query(({ ctx }) => listProviders(ctx.deps, ctx.scope)),
  updateProvider: adminProcedure.input(updateProviderInput).output(oauthProviderSchema).mutation(({ ctx, input }) => updateProvider(ctx.deps, ctx.scope, input)),
  deleteProvider: adminProcedure.input(providerRefInput).output(oauthProviderSchema).mutation(({ ctx, input }) => deleteProvider(ctx.deps, ctx.scope, input)),
  /** Public: where to send the browser; the provider comes back to `redirectUri` with `code` and `state`. */
  start: publicProcedure.input(oauthStartInput).output(oauthStartedSchema).mutation(({ ctx, input }) => startOAuth(ctx.deps, ctx.scope, input)),
  /** Public: the URL the browser came back to; tokens, or a second-factor challenge. */
  callback: publicProcedure.input(oauthCallbackInput).output(signInResultSchema).mutation(({ ctx, input }) => finishOAuth(ctx.deps, ctx.scope, input)),
});
