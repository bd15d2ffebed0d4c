// requireFactors in front of the real API: a session without a second factor is refused with
// 403 factor_required; after a step-up through the API (auth.verifyFactor), the very next request
// through the middleware passes — the factors come from the cache entry the step-up rewrote.
import { createSesameClient } from "@sesame/client";
import { edgeOptionsForApi, requireFactors, sessionAuth, type SessionVariables } from "@sesame/edge";
import { Hono } from "hono";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startStack, type Stack } from "./stack.ts";

const backends = inject("sesameBackends");

describe("requireFactors + API step-up", () => {
  let stack: Stack;
  let app: Hono<{ Variables: SessionVariables }>;
  beforeAll(async () => {
    stack = await startStack({ backends });
    const { config, url } = stack.api;
    app = new Hono<{ Variables: SessionVariables }>();
    app.use("*", sessionAuth({ ...edgeOptionsForApi({ apiUrl: url, secret: config.introspectionSecret, issuer: config.issuer, audience: config.audience }), store: stack.store }));
    app.post("/payouts", requireFactors("totp"), (c) => c.json({ paid: true, factors: c.var.session.factors }));
  });
  afterAll(async () => stack?.stop());

  const pay = (accessToken: string) => app.request("/payouts", { method: "POST", headers: { authorization: `Bearer ${accessToken}` } });

  it("refuses a session without the factor, and admits its next request after auth.verifyFactor", async () => {
    const { user, accessToken: firstToken } = await stack.newSession();
    // The user enrols from a first session; an authenticator app (otpauth here) reads the secret.
    const first = createSesameClient({ url: stack.api.url, accessToken: firstToken });
    const { secret } = await first.auth.mfa.enroll.mutate();
    const authenticator = new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 });
    const { recoveryCodes } = await first.auth.mfa.confirm.mutate({ code: authenticator.generate() });
    expect((await pay(firstToken)).status).toBe(200);

    // Another session, started without a factor.
    const { accessToken } = await stack.admin.sessions.create.mutate({ userId: user.id });
    const denied = await pay(accessToken);
    expect(denied.status).toBe(403);
    expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer error="insufficient_scope"/);
    expect(await denied.json()).toMatchObject({ error: "factor_required", requiredFactors: ["totp"] });

    // Step-up with a recovery code (the TOTP code of this 30-second step was just used to confirm).
    const { session } = await createSesameClient({ url: stack.api.url, accessToken }).auth.verifyFactor.mutate({ code: recoveryCodes[0]! });
    expect(session.factors).toEqual(["totp"]);
    const allowed = await pay(accessToken);
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ paid: true, factors: ["totp"] });
  });

  it("signs the sessions out at the edge when an admin resets the user's factors", async () => {
    const { user, accessToken } = await stack.newSession();
    const me = createSesameClient({ url: stack.api.url, accessToken });
    const { secret } = await me.auth.mfa.enroll.mutate();
    await me.auth.mfa.confirm.mutate({ code: new TOTP({ secret: Secret.fromBase32(secret) }).generate() });
    expect((await pay(accessToken)).status).toBe(200);
    const { revocation } = await stack.admin.users.resetFactors.mutate({ userId: user.id });
    expect(revocation.effectiveAt).not.toBeNull();
    const res = await pay(accessToken);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "session_revoked" });
  });
});
