import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { errorCode } from "@sesame/client";
import { JWKS_PATH } from "@sesame/core";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_FILE_CHECK_INTERVAL_MS, RETIRED_KEY_PUBLISH_SECONDS, generateStoredKey, writeKeyFile } from "../src/lib/signing-keys.ts";
import { login, startAuthApi, tenantWithUser } from "./auth-fixtures.ts";
import type { ApiHarness } from "./harness.ts";

// Its own file: this API signs with a key file, and embedded Postgres serves one API at a time.
const apiDir = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sesame-keys-"));
const keyFile = join(dir, "signing-keys.json");
let clock: Date;
let api: ApiHarness;

beforeAll(async () => {
  clock = new Date();
  writeKeyFile(keyFile, { keys: [await generateStoredKey(clock)] });
  api = await startAuthApi({ now: () => clock, config: { signingKeys: { kind: "file", path: keyFile } } });
});
afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const jwks = async () => ((await (await fetch(`${api.url}${JWKS_PATH}`)).json()) as { keys: { kid: string; kty: string; alg: string }[] }).keys;
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("signing key rotation", () => {
  it("rotating EdDSA → ES256 keeps old tokens verifying, signs new ones with the new key, and unpublishes the old key once its tokens expired", async () => {
    const { tenant, user } = await tenantWithUser(api);
    const before = await login(api, tenant.code, user.username);
    const oldKid = kidOf(before.accessToken);
    expect((await jwks()).map((k) => k.kid)).toEqual([oldKid]);

    expect(decodeProtectedHeader(before.accessToken).alg).toBe("EdDSA");

    // The CLI, as `SESAME_SIGNING_ALG=ES256 npm run keys:rotate -- --file <path>` runs it: the new key is P-256.
    await promisify(execFile)(join(apiDir, "../../node_modules/.bin/tsx"), ["--conditions=@sesame/source", "src/cli/rotate-keys.ts", "--file", keyFile], {
      cwd: apiDir,
      env: { ...process.env, SESAME_SIGNING_ALG: "ES256" },
    });

    // The running API notices the changed file within its check interval, without a restart.
    await waitFor(async () => (await jwks()).length === 2, KEY_FILE_CHECK_INTERVAL_MS + 3000);
    const published = await jwks();
    const newKid = published.map((k) => k.kid).find((k) => k !== oldKid)!;
    expect(newKid).toBeTruthy();

    const after = await login(api, tenant.code, user.username);
    expect(kidOf(after.accessToken)).toBe(newKid);
    expect(decodeProtectedHeader(after.accessToken).alg).toBe("ES256");
    // During the rotation the JWKS carries both algorithms.
    expect(published).toEqual(
      expect.arrayContaining([expect.objectContaining({ kid: oldKid, kty: "OKP", alg: "EdDSA" }), expect.objectContaining({ kid: newKid, kty: "EC", alg: "ES256" })]),
    );
    // Both verify, at the API and against the published JWKS (what the edge does).
    await expect(api.user(before.accessToken).auth.me.query()).resolves.toBeTruthy();
    await expect(api.user(after.accessToken).auth.me.query()).resolves.toBeTruthy();
    const keySet = createLocalJWKSet({ keys: published as never });
    for (const t of [before.accessToken, after.accessToken]) {
      await expect(jwtVerify(t, keySet, { algorithms: ["EdDSA", "ES256"], currentDate: clock })).resolves.toBeTruthy();
    }

    // Just before the old token expires it still works; the old key is still published.
    clock = new Date(Date.parse(before.accessTokenExpiresAt) - 10_000);
    await expect(api.user(before.accessToken).auth.me.query()).resolves.toBeTruthy();
    expect((await jwks()).map((k) => k.kid)).toContain(oldKid);

    // Once every token it signed has expired, the retired key leaves the JWKS.
    clock = new Date(Date.now() + (RETIRED_KEY_PUBLISH_SECONDS + 5) * 1000);
    expect((await jwks()).map((k) => k.kid)).toEqual([newKid]);
    await expect(api.user(before.accessToken).auth.me.query()).rejects.toSatisfy((e) => errorCode(e) === "UNAUTHORIZED");
  });
});
