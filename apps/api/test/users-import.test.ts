import { pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { request } from "node:http";
import type * as Argon2 from "@node-rs/argon2";
import { hash as argon2Hash } from "@node-rs/argon2";
import { errorCode } from "@sesame/client";
import bcrypt from "bcryptjs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { events, users } from "../src/db/schema.ts";
import { INVALID_CREDENTIALS_MESSAGE } from "../src/services/auth/login.ts";
import { IMPORT_STREAM_MAX_LINE_BYTES } from "../src/rest/users-import-stream.ts";
import { MAX_IMPORT_BATCH } from "../src/services/users/import.ts";
import { failure, login, startAuthApi } from "./auth-fixtures.ts";
import { createTenantWithAdmin, type ApiHarness } from "./harness.ts";

// Pass-through spies: the real argon2 and bcrypt run; the tests only see which hashes were verified.
const { argon2Verify, bcryptCompare } = vi.hoisted(() => ({ argon2Verify: vi.fn(), bcryptCompare: vi.fn() }));
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof Argon2>();
  argon2Verify.mockImplementation(real.verify);
  return { ...real, verify: argon2Verify };
});
vi.mock("bcryptjs", async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof bcrypt }>()).default;
  bcryptCompare.mockImplementation(real.compare);
  return { default: { ...real, compare: bcryptCompare } };
});

const PASSWORD = "Tr0ub4dor&3 from the old system";

// Firebase's published example (github.com/firebase/scrypt README): project parameters, one
// user's salt and hash, and the password they were made from.
const FIREBASE_PROJECT = {
  signerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
  saltSeparator: "Bw==",
  rounds: 8,
  memCost: 14,
};
const FIREBASE_USER = { salt: "42xEC+ixf3L2lw==", hash: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==", password: "user1password" };

let api: ApiHarness;
beforeAll(async () => {
  api = await startAuthApi();
});
afterAll(async () => api?.stop());

let n = 0;
const unique = (prefix: string) => `${prefix}${++n}_${randomBytes(3).toString("hex")}`;

async function storedHash(userId: string) {
  const [row] = await api.deps.db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, userId));
  return row!.hash;
}

/** Imports one user with `passwordHash` and returns its id. */
async function importOne(admin: ReturnType<ApiHarness["admin"]>, passwordHash: unknown, extra: Record<string, unknown> = {}, firebaseScrypt?: typeof FIREBASE_PROJECT) {
  const username = unique("imp");
  const answer = await admin.users.import.mutate({ users: [{ externalId: unique("ext-"), username, passwordHash, ...extra }], ...(firebaseScrypt ? { firebaseScrypt } : {}) });
  expect(answer.results[0]).toMatchObject({ status: "created" });
  return { userId: answer.results[0]!.userId!, username };
}

const b64 = (b: Buffer) => b.toString("base64");

describe("users.import: the hash kinds, verified at sign-in and re-hashed to argon2id", () => {
  it("signs in a SOAJS-style bcrypt user with the original password, and stores argon2id afterwards", async () => {
    const tenant = await createTenantWithAdmin(api);
    const bcryptHash = bcrypt.hashSync(PASSWORD, 10);
    expect(bcryptHash).toMatch(/^\$2b\$10\$/);
    const { userId, username } = await importOne(tenant.admin, bcryptHash.replace(/^\$2b\$/, "$2a$"));
    expect(await storedHash(userId)).toMatch(/^\$2a\$10\$/);

    const first = await login(api, tenant.tenant.code, username, PASSWORD);
    expect(first.session.userId).toBe(userId);
    expect(await storedHash(userId)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    // The new hash works, without bcrypt.
    bcryptCompare.mockClear();
    await expect(login(api, tenant.tenant.code, username, PASSWORD)).resolves.toMatchObject({ session: { userId } });
    expect(bcryptCompare).not.toHaveBeenCalled();
  });

  const kinds: Array<[string, () => unknown, string?]> = [
    ["bcrypt $2y$ (PHP)", () => bcrypt.hashSync(PASSWORD, 4).replace(/^\$2b\$/, "$2y$")],
    ["argon2i (PHC)", () => argon2Hash(PASSWORD, { algorithm: 1, memoryCost: 4096, timeCost: 3, parallelism: 1 })],
    ["argon2id with other parameters (PHC)", () => argon2Hash(PASSWORD, { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 })],
    [
      "scrypt (PHC string)",
      () => {
        const salt = randomBytes(16);
        return `$scrypt$ln=14,r=8,p=1$${b64(salt).replace(/=+$/, "")}$${b64(scryptSync(PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 })).replace(/=+$/, "")}`;
      },
    ],
    [
      "scrypt (parts)",
      () => {
        const salt = randomBytes(16);
        return { algorithm: "scrypt", salt: b64(salt), hash: b64(scryptSync(PASSWORD, salt, 64, { N: 2 ** 12, r: 8, p: 2 })), N: 4096, r: 8, p: 2 };
      },
    ],
    [
      "PBKDF2-SHA256 (PHC string)",
      () => {
        const salt = randomBytes(16);
        return `$pbkdf2-sha256$i=10000,l=32$${b64(salt)}$${b64(pbkdf2Sync(PASSWORD, salt, 10_000, 32, "sha256"))}`;
      },
    ],
    [
      "PBKDF2-SHA512 (passlib's string: bare iterations, ab64 with '.')",
      () => {
        let salt = randomBytes(16);
        // Pick a salt whose base64 has a '+', so the '.' spelling is exercised.
        while (!b64(salt).includes("+")) salt = randomBytes(16);
        const ab64 = (b: Buffer) => b64(b).replace(/=+$/, "").replace(/\+/g, ".");
        return `$pbkdf2-sha512$25000$${ab64(salt)}$${ab64(pbkdf2Sync(PASSWORD, salt, 25_000, 64, "sha512"))}`;
      },
    ],
    [
      "PBKDF2-SHA1 (parts)",
      () => {
        const salt = randomBytes(12);
        return { algorithm: "pbkdf2", digest: "sha1", iterations: 20_000, salt: b64(salt), hash: b64(pbkdf2Sync(PASSWORD, salt, 20_000, 20, "sha1")) };
      },
    ],
  ];
  for (const [name, make] of kinds) {
    it(`${name}: the original password signs in, a wrong one does not, and the stored hash becomes argon2id`, async () => {
      const tenant = await createTenantWithAdmin(api);
      const { userId, username } = await importOne(tenant.admin, await make());
      const before = await storedHash(userId);
      const wrong = await login(api, tenant.tenant.code, username, `${PASSWORD}!`).catch((e: unknown) => failure(e));
      expect(wrong).toMatchObject({ code: "UNAUTHORIZED", message: INVALID_CREDENTIALS_MESSAGE });
      expect(await storedHash(userId)).toBe(before);
      await expect(login(api, tenant.tenant.code, username, PASSWORD)).resolves.toMatchObject({ session: { userId } });
      expect(await storedHash(userId)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });
  }

  it("Firebase's modified scrypt with the project's parameters: Firebase's own example signs in", async () => {
    const tenant = await createTenantWithAdmin(api);
    const { userId, username } = await importOne(tenant.admin, { algorithm: "firebase-scrypt", salt: FIREBASE_USER.salt, hash: FIREBASE_USER.hash }, {}, FIREBASE_PROJECT);
    expect(await storedHash(userId)).toMatch(/^\$firebase-scrypt\$r=8,m=14\$/);
    await expect(login(api, tenant.tenant.code, username, "user1passwore")).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    await expect(login(api, tenant.tenant.code, username, FIREBASE_USER.password)).resolves.toMatchObject({ session: { userId } });
    expect(await storedHash(userId)).toMatch(/^\$argon2id\$/);
  });

  it("a wrong password for an imported user does the argon2id work of any refusal, plus its own hash's", async () => {
    const tenant = await createTenantWithAdmin(api);
    const { username } = await importOne(tenant.admin, bcrypt.hashSync(PASSWORD, 4));
    const attempt = async (identifier: string) => {
      argon2Verify.mockClear();
      bcryptCompare.mockClear();
      await expect(login(api, tenant.tenant.code, identifier, "not the password")).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
      return { argon2: argon2Verify.mock.calls.map(([h]) => String(h).split("$")[1]), bcrypt: bcryptCompare.mock.calls.length };
    };
    expect(await attempt(username)).toEqual({ argon2: ["argon2id"], bcrypt: 1 });
    expect(await attempt("nobody-at-all")).toEqual({ argon2: ["argon2id"], bcrypt: 0 });
  });
});

describe("users.import: rows", () => {
  it("imports profile, groups, status, locked and a verified email; a locked user cannot sign in", async () => {
    const tenant = await createTenantWithAdmin(api);
    const hash = bcrypt.hashSync(PASSWORD, 4);
    const answer = await tenant.admin.users.import.mutate({
      users: [
        { externalId: "soajs-1", username: "owner", email: "Owner@SOAJS.org", emailVerified: true, firstName: "Own", lastName: "Er", passwordHash: hash, profile: { title: "boss" }, groups: ["owner", "owner"], config: { packages: {} } },
        { externalId: "soajs-2", username: "locked-one", passwordHash: hash, locked: true },
        { externalId: "soajs-3", username: "pending-one", status: "pendingJoin" },
      ],
    });
    expect(answer.summary).toEqual({ created: 3, skipped: 0, failed: 0 });
    const [owner, locked, pending] = await Promise.all(answer.results.map((r) => tenant.admin.users.get.query({ userId: r.userId! })));
    expect(owner).toMatchObject({ externalId: "soajs-1", email: "owner@soajs.org", firstName: "Own", status: "active", profile: { title: "boss" }, groups: ["owner"], config: { packages: {} }, locked: false });
    expect(owner!.emailVerifiedAt).not.toBeNull();
    expect(locked).toMatchObject({ locked: true, status: "active", emailVerifiedAt: null });
    expect(locked!.lockedAt).not.toBeNull();
    expect(pending).toMatchObject({ status: "pendingJoin" });

    const signedIn = await login(api, tenant.tenant.code, "owner@soajs.org", PASSWORD);
    expect(signedIn.session.accessGroups).toEqual(["owner"]);
    await expect(login(api, tenant.tenant.code, "locked-one", PASSWORD)).rejects.toMatchObject({ message: INVALID_CREDENTIALS_MESSAGE });

    const created = await api.deps.db.select().from(events).where(eq(events.userId, owner!.id));
    expect(created.map((e) => [e.type, e.data])).toContainEqual(["user.created", { username: "owner", status: "active", via: "import", externalId: "soajs-1" }]);
  });

  it("answers each bad row with an error naming its field, and imports the good rows of the same call", async () => {
    const tenant = await createTenantWithAdmin(api);
    await tenant.admin.users.create.mutate({ username: "taken", email: "taken@example.test" });
    const good = { externalId: "ok-1", username: "fine", passwordHash: bcrypt.hashSync(PASSWORD, 4) };
    const rows: Array<[unknown, string | null, string]> = [
      [{ username: "no-external-id" }, "externalId", "BAD_REQUEST"],
      [{ externalId: "e1", username: "has@at" }, "username", "BAD_REQUEST"],
      [{ externalId: "e2", username: "bademail", email: "not-an-email" }, "email", "BAD_REQUEST"],
      [{ externalId: "e3", username: "unknownfield", colour: "blue" }, "colour", "BAD_REQUEST"],
      [{ externalId: "e4", username: "badhash", passwordHash: "$1$md5crypt$nope" }, "passwordHash", "BAD_REQUEST"],
      [{ externalId: "e5", username: "costly", passwordHash: bcrypt.hashSync("x", 4).replace("$04$", "$16$") }, "passwordHash", "BAD_REQUEST"],
      [{ externalId: "e6", username: "hugescrypt", passwordHash: { algorithm: "scrypt", salt: "c2FsdHNhbHQ=", hash: b64(randomBytes(32)), N: 2 ** 20, r: 8, p: 1 } }, "passwordHash", "BAD_REQUEST"],
      [{ externalId: "e7", username: "firebase", passwordHash: { algorithm: "firebase-scrypt", salt: FIREBASE_USER.salt, hash: FIREBASE_USER.hash } }, "passwordHash", "BAD_REQUEST"],
      [{ externalId: "e8", username: "badgroup", groups: ["no spaces"] }, "groups.0", "BAD_REQUEST"],
      [{ externalId: "e9", username: "Taken" }, "username", "CONFLICT"],
      [{ externalId: "e10", username: "mailtaken", email: "TAKEN@example.test" }, "email", "CONFLICT"],
      [{ ...good, username: "other" }, "externalId", "CONFLICT"],
      ["not an object", null, "BAD_REQUEST"],
    ];
    const answer = await tenant.admin.users.import.mutate({ users: [good, ...rows.map(([row]) => row)] });
    expect(answer.results[0]).toMatchObject({ index: 0, externalId: "ok-1", status: "created" });
    rows.forEach(([, field, code], i) => {
      const result = answer.results[i + 1]!;
      expect(result, JSON.stringify(rows[i]![0])).toMatchObject({ index: i + 1, status: "failed", userId: null, error: { code, field } });
      if (field) expect(result.error!.message.startsWith(`${field}: `)).toBe(true);
    });
    expect(answer.summary).toEqual({ created: 1, skipped: 0, failed: rows.length });
    const all = await tenant.admin.users.list.query({ limit: 100 });
    expect(all.objects.map((u) => u.username).sort()).toEqual(["fine", "taken"]);
  });

  it("refuses a call of more than MAX_IMPORT_BATCH rows, or bad Firebase parameters, as a whole", async () => {
    const tenant = await createTenantWithAdmin(api);
    const tooMany = Array.from({ length: MAX_IMPORT_BATCH + 1 }, (_, i) => ({ externalId: `x${i}`, username: `u${i}` }));
    const big = await tenant.admin.users.import.mutate({ users: tooMany }).catch((e: unknown) => e);
    expect(errorCode(big)).toBe("BAD_REQUEST");
    expect((big as { data: { field: string } }).data.field).toBe("users");
    const badFirebase = await tenant.admin.users.import.mutate({ users: [{ externalId: "a", username: "a" }], firebaseScrypt: { ...FIREBASE_PROJECT, memCost: 40 } }).catch((e: unknown) => e);
    expect((badFirebase as { data: { field: string } }).data.field).toBe("firebaseScrypt.memCost");
    expect((await tenant.admin.users.list.query({})).total).toBe(0);
  });

  it("is idempotent by externalId: importing again skips the existing users and leaves them unchanged", async () => {
    const tenant = await createTenantWithAdmin(api);
    const rows = [
      { externalId: "a-1", username: "ann", email: "ann@example.test", passwordHash: bcrypt.hashSync(PASSWORD, 4) },
      { externalId: "a-2", username: "bob" },
    ];
    const first = await tenant.admin.users.import.mutate({ users: rows });
    expect(first.summary).toEqual({ created: 2, skipped: 0, failed: 0 });
    const before = await tenant.admin.users.get.query({ userId: first.results[0]!.userId! });

    const again = await tenant.admin.users.import.mutate({ users: [{ ...rows[0]!, firstName: "Changed" }, rows[1]!, { externalId: "a-3", username: "cy" }] });
    expect(again.summary).toEqual({ created: 1, skipped: 2, failed: 0 });
    expect(again.results.slice(0, 2).map((r) => [r.status, r.userId])).toEqual(first.results.map((r) => ["skipped", r.userId]));
    const after = await tenant.admin.users.get.query({ userId: first.results[0]!.userId! });
    expect(after).toEqual(before);
  });

  it("keeps tenants apart: another tenant's externalId and username do not skip or conflict", async () => {
    const one = await createTenantWithAdmin(api);
    const two = await createTenantWithAdmin(api);
    const row = { externalId: "same", username: "same", email: "same@example.test" };
    const a = await one.admin.users.import.mutate({ users: [row] });
    const b = await two.admin.users.import.mutate({ users: [row] });
    expect([a.results[0]!.status, b.results[0]!.status]).toEqual(["created", "created"]);
    expect(a.results[0]!.userId).not.toBe(b.results[0]!.userId);
  });

  it("is for tenant API keys only", async () => {
    const answer = await api.anonymous().users.import.mutate({ users: [{ externalId: "a", username: "a" }] }).catch((e: unknown) => e);
    expect(errorCode(answer)).toBe("UNAUTHORIZED");
  });
});

/**
 * POSTs NDJSON over node:http, writing `first` lines, then — once the first answer line has
 * arrived, which proves results stream back while the body is still being sent — the rest.
 */
function streamImport(key: string | null, first: string[], rest: string[] = [], contentType = "application/x-ndjson") {
  return new Promise<{ status: number; lines: Array<Record<string, unknown>> }>((resolve, reject) => {
    const url = new URL("/v1/users/import", api.url);
    const req = request(url, { method: "POST", headers: { "content-type": contentType, ...(key ? { authorization: `Bearer ${key}` } : {}) } }, (res) => {
      let text = "";
      let restSent = rest.length === 0;
      res.setEncoding("utf8");
      res.on("data", (piece: string) => {
        text += piece;
        if (!restSent && text.includes("\n")) {
          restSent = true;
          req.end(rest.join("\n") + "\n");
        }
      });
      res.on("end", () => resolve({ status: res.statusCode!, lines: text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.write(first.join("\n") + "\n");
    if (rest.length === 0) req.end();
  });
}

describe("POST /v1/users/import (NDJSON, streamed both ways)", () => {
  it("imports chunk by chunk, answering each row in order as its chunk commits, then the summary", async () => {
    const tenant = await createTenantWithAdmin(api);
    const hash = bcrypt.hashSync(PASSWORD, 4);
    const row = (i: number) => JSON.stringify({ externalId: `s-${i}`, username: `streamed${i}`, ...(i === 3 ? { passwordHash: hash } : {}) });
    const first = [JSON.stringify({ firebaseScrypt: FIREBASE_PROJECT }), ...Array.from({ length: 600 }, (_, i) => row(i))];
    const rest = [
      "{ not json",
      JSON.stringify({ externalId: "nul", username: "nul\u0000name" }),
      JSON.stringify({ externalId: "fb", username: "firebase-user", passwordHash: { algorithm: "firebase-scrypt", salt: FIREBASE_USER.salt, hash: FIREBASE_USER.hash } }),
      JSON.stringify({ externalId: "bad", username: "x", status: "sleeping" }),
      ...Array.from({ length: 500 }, (_, i) => row(600 + i)),
    ];
    const answer = await streamImport(tenant.key, first, rest);
    expect(answer.status).toBe(200);
    const results = answer.lines.slice(0, -1);
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 1104 }, (_, i) => i));
    expect(results[600]).toMatchObject({ status: "failed", externalId: null, error: { code: "BAD_REQUEST", field: "line" } });
    expect(results[601]).toMatchObject({ status: "failed", externalId: "nul", error: { field: "username" } });
    expect(results[602]).toMatchObject({ status: "created", externalId: "fb" });
    expect(results[603]).toMatchObject({ status: "failed", externalId: "bad", error: { field: "status" } });
    expect(answer.lines.at(-1)).toEqual({ summary: { created: 1101, skipped: 0, failed: 3 } });
    expect((await tenant.admin.users.list.query({ limit: 1 })).total).toBe(1101);
    await expect(login(api, tenant.tenant.code, "streamed3", PASSWORD)).resolves.toMatchObject({ session: { userId: results[3]!.userId } });
    await expect(login(api, tenant.tenant.code, "firebase-user", FIREBASE_USER.password)).resolves.toMatchObject({ session: { userId: results[602]!.userId } });

    // Sent again: every row is skipped, nothing changes.
    const again = await streamImport(tenant.key, first, rest);
    expect(again.lines.at(-1)).toEqual({ summary: { created: 0, skipped: 1101, failed: 3 } });
  });

  it("answers credentials and content type before reading rows, with the REST error body", async () => {
    const tenant = await createTenantWithAdmin(api);
    const line = JSON.stringify({ externalId: "a", username: "a" });
    expect(await streamImport(null, [line])).toMatchObject({ status: 401, lines: [{ code: "UNAUTHORIZED" }] });
    expect(await streamImport(tenant.key, [line], [], "application/json")).toMatchObject({ status: 415, lines: [{ code: "UNSUPPORTED_MEDIA_TYPE" }] });
    expect((await tenant.admin.users.list.query({})).total).toBe(0);
  });

  it("stops at a line longer than the limit with an error line naming it, keeping the chunks committed before", async () => {
    const tenant = await createTenantWithAdmin(api);
    const rows = Array.from({ length: 500 }, (_, i) => JSON.stringify({ externalId: `l-${i}`, username: `long${i}` }));
    const huge = JSON.stringify({ externalId: "huge", username: "huge", profile: { blob: "x".repeat(IMPORT_STREAM_MAX_LINE_BYTES) } });
    const answer = await streamImport(tenant.key, rows, [huge]);
    expect(answer.lines).toHaveLength(501);
    expect(answer.lines.at(-1)).toEqual({ error: expect.objectContaining({ code: "BAD_REQUEST", field: "line" }), summary: { created: 500, skipped: 0, failed: 0 } });
    expect((await tenant.admin.users.list.query({ limit: 1 })).total).toBe(500);
  });

  it("stops at a bad options line with an error line, importing nothing", async () => {
    const tenant = await createTenantWithAdmin(api);
    const answer = await streamImport(tenant.key, [JSON.stringify({ firebaseScrypt: { ...FIREBASE_PROJECT, rounds: 0 } }), JSON.stringify({ externalId: "a", username: "a" })]);
    expect(answer.lines).toEqual([{ error: expect.objectContaining({ code: "BAD_REQUEST", field: "firebaseScrypt.rounds" }), summary: { created: 0, skipped: 0, failed: 0 } }]);
  });
});
