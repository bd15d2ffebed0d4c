/**
 * Importing 100,000 users with their existing password hashes, against real Postgres, next to a
 * floor measured in the same run: the same rows inserted straight into Postgres with multi-row
 * INSERTs (what the database alone does, no API).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 npm run bench:import -w @sesame/api
 *
 * Rows: the floor; `POST /v1/users/import` (one NDJSON request, results streamed back); `users.import`
 * over tRPC (1000 rows a call, one call at a time). Each imports IMPORT_BENCH_ROWS (default
 * 100,000) users into a tenant of its own; hashes are a mix of bcrypt, scrypt, PBKDF2 and Firebase
 * scrypt. Afterwards one imported bcrypt user signs in, to show the rows are usable.
 */
import { pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { request } from "node:http";
import { performance } from "node:perf_hooks";
import { createSesameClient } from "@sesame/client";
import { usernameKey } from "@sesame/core";
import bcrypt from "bcryptjs";
import { users } from "../src/db/schema.ts";
import { parseImportedHash } from "../src/lib/password-formats.ts";
import { uniqueTenantCode, type ApiHarness } from "../test/harness.ts";
import { withBenchApi } from "./bench-api.ts";

const ROWS = Number(process.env.IMPORT_BENCH_ROWS ?? 100_000);
const PASSWORD = "bench password";
const FIREBASE = { signerKey: randomBytes(64).toString("base64"), saltSeparator: "Bw==", rounds: 8, memCost: 14 };

/** A few real hashes of each kind (hashing 100,000 would measure the hashing, not the import). */
function sampleHashes(): unknown[] {
  const salt = randomBytes(16);
  return [
    bcrypt.hashSync(PASSWORD, 10).replace(/^\$2b\$/, "$2a$"),
    { algorithm: "scrypt", salt: salt.toString("base64"), hash: scryptSync(PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 }).toString("base64"), N: 16384, r: 8, p: 1 },
    `$pbkdf2-sha256$i=100000,l=32$${salt.toString("base64")}$${pbkdf2Sync(PASSWORD, salt, 100_000, 32, "sha256").toString("base64")}`,
    { algorithm: "firebase-scrypt", salt: salt.toString("base64"), hash: randomBytes(64).toString("base64") },
  ];
}

function makeRows(prefix: string, hashes: unknown[]) {
  return Array.from({ length: ROWS }, (_, i) => ({
    externalId: `${prefix}-${i}`,
    username: `${prefix}${i}`,
    email: `${prefix}${i}@example.test`,
    firstName: "Imported",
    lastName: `User ${i}`,
    passwordHash: hashes[i % hashes.length],
    groups: ["imported", i % 2 ? "odd" : "even"],
    profile: { source: "bench", n: i },
  }));
}

type Rows = ReturnType<typeof makeRows>;

async function newTenant(api: ApiHarness) {
  return api.root().tenants.create.mutate({ code: uniqueTenantCode("IMP"), name: "Import bench" });
}

/** The floor: the same rows, hashes parsed as the import does, in multi-row INSERTs of 500. */
async function floor(api: ApiHarness, rows: Rows) {
  const { tenant } = await newTenant(api);
  for (let i = 0; i < rows.length; i += 500) {
    await api.deps.db.insert(users).values(
      rows.slice(i, i + 500).map((r) => {
        const parsed = parseImportedHash(r.passwordHash as string, FIREBASE);
        return {
          tenantId: tenant.id,
          externalId: r.externalId,
          username: r.username,
          usernameKey: usernameKey(r.username),
          email: r.email,
          passwordHash: parsed.ok ? parsed.stored : null,
          firstName: r.firstName,
          lastName: r.lastName,
          status: "active" as const,
          groups: r.groups,
          profile: r.profile,
        };
      }),
    );
  }
}

async function ndjson(api: ApiHarness, rows: Rows) {
  const { key, tenant } = await newTenant(api);
  const summary = await new Promise<string>((resolve, reject) => {
    const req = request(new URL("/v1/users/import", api.url), { method: "POST", headers: { "content-type": "application/x-ndjson", authorization: `Bearer ${key}` } }, (res) => {
      let last = "";
      res.setEncoding("utf8");
      res.on("data", (piece: string) => {
        last = (last + piece).slice(-400);
      });
      res.on("end", () => resolve(last.trim().split("\n").at(-1)!));
      res.on("error", reject);
    });
    req.on("error", reject);
    // Written in pieces, as a client streaming a file would.
    req.write(`${JSON.stringify({ firebaseScrypt: FIREBASE })}\n`);
    for (let i = 0; i < rows.length; i += 1000) req.write(rows.slice(i, i + 1000).map((r) => JSON.stringify(r)).join("\n") + "\n");
    req.end();
  });
  return { tenant, summary };
}

async function trpcBatches(api: ApiHarness, rows: Rows) {
  const { key } = await newTenant(api);
  const admin = createSesameClient({ url: api.url, apiKey: key });
  let created = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    created += (await admin.users.import.mutate({ users: rows.slice(i, i + 1000), firebaseScrypt: FIREBASE })).summary.created;
  }
  return `{"created":${created}}`;
}

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { seconds: (performance.now() - started) / 1000, value };
}

await withBenchApi(async (api, backends) => {
  const hashes = sampleHashes();
  console.log(`sesame import bench — ${ROWS} users a row, postgres: ${backends.description.postgres}`);
  const base = await timed(() => floor(api, makeRows("f", hashes)));
  const stream = await timed(() => ndjson(api, makeRows("s", hashes)));
  const batches = await timed(() => trpcBatches(api, makeRows("t", hashes)));
  const rate = (s: number) => Math.round(ROWS / s);
  console.table([
    { row: "floor: multi-row INSERT straight into Postgres (500 a statement)", seconds: Number(base.seconds.toFixed(1)), "rows/s": rate(base.seconds), "× floor": 1 },
    { row: "POST /v1/users/import (one NDJSON request)", seconds: Number(stream.seconds.toFixed(1)), "rows/s": rate(stream.seconds), "× floor": Number((base.seconds / stream.seconds).toFixed(2)) },
    { row: "users.import over tRPC (1000 a call)", seconds: Number(batches.seconds.toFixed(1)), "rows/s": rate(batches.seconds), "× floor": Number((base.seconds / batches.seconds).toFixed(2)) },
  ]);
  console.log(`stream summary: ${stream.value.summary}; tRPC: ${batches.value}`);

  // The imported users are real: the first one (bcrypt) signs in and is re-hashed.
  const session = await createSesameClient({ url: api.url }).auth.login.mutate({ tenant: stream.value.tenant.code, identifier: "s0", password: PASSWORD });
  if ("mfaRequired" in session) throw new Error("the bench tenant asks for a second factor");
  console.log(`imported bcrypt user s0 signed in: session ${session.session.id}`);
});
