/**
 * A real OpenID provider for the tests: `oidc-provider` 8 on an ephemeral port, one confidential
 * client, consent skipped, and a login step that signs in whichever account the test names next.
 * `browse(url)` plays the browser: it follows the provider's redirects with its cookies until the
 * provider sends it back to the client's redirect URI, and returns that URL.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  given_name?: string;
  family_name?: string;
}

export const REDIRECT_URI = "http://127.0.0.1:1/oauth/callback";

/** `claimsInIdToken: false`: the provider keeps email and names for UserInfo (oidc-provider's default). */
export async function startOidcProvider(options: { claimsInIdToken?: boolean } = {}) {
  const accounts = new Map<string, TestAccount>();
  let nextAccount: string | null = null;
  let provider: Provider | null = null;
  const server: Server = createServer((req, res) => {
    if (!provider) return void res.writeHead(503).end();
    if (req.url?.startsWith("/interaction/")) {
      // The login page: signs in the account the test chose, as a user typing a password would.
      void (async () => {
        await provider!.interactionDetails(req, res);
        await provider!.interactionFinished(req, res, { login: { accountId: nextAccount! } }, { mergeWithLastSubmission: false });
      })().catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = { clientId: "sesame-test", clientSecret: randomBytes(32).toString("base64url") };

  provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [REDIRECT_URI],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["given_name", "family_name"] },
    // Email in the ID token itself, as Google, Microsoft and most providers send it.
    conformIdTokenClaims: options.claimsInIdToken === false,
    scopes: ["openid", "email", "profile", "offline_access"],
    features: { devInteractions: { enabled: false } },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60, RefreshToken: 3600 },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      return account ? { accountId: id, claims: async () => ({ sub: id, ...account }) } : undefined;
    },
    // First-party client: consent is implied (oidc-provider's "skip consent" recipe).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope("openid email profile offline_access");
      await grant.save();
      return grant;
    },
  });

  return {
    issuer,
    ...client,
    /** An account at the provider; `sub` is its id. */
    addAccount(account: TestAccount): string {
      const sub = `sub-${randomBytes(8).toString("hex")}`;
      accounts.set(sub, account);
      return sub;
    },
    /** The browser at `authorizationUrl`, signed in as `sub`; returns the URL it is sent back to. */
    async browse(authorizationUrl: string, sub: string): Promise<string> {
      nextAccount = sub;
      const jar = new Map<string, string>();
      let url = authorizationUrl;
      for (let hop = 0; hop < 10; hop++) {
        const res = await fetch(url, { redirect: "manual", headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
        for (const cookie of res.headers.getSetCookie()) {
          const pair = cookie.split(";")[0]!;
          const eq = pair.indexOf("=");
          const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
          if (value) jar.set(name, value);
          else jar.delete(name);
        }
        const location = res.headers.get("location");
        if (!location) throw new Error(`the provider answered ${res.status} at ${url}: ${await res.text()}`);
        const next = new URL(location, url).href;
        if (next.startsWith(REDIRECT_URI)) return next;
        url = next;
      }
      throw new Error("too many redirects");
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type TestOidcProvider = Awaited<ReturnType<typeof startOidcProvider>>;
