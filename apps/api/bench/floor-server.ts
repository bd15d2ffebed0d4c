/**
 * The floor each API row is compared with: a bare Hono route per operation doing the SQL that
 * operation needs, hand-written with postgres.js (prepared statements, the same pool size as the
 * API), plus the EdDSA verify or sign where the real one does. No tRPC, no validation, no logging,
 * no cache writes: what is left when everything between the request and Postgres is gone.
 *
 * Run by api.bench.ts in a process of its own; env BENCH_FLOOR (JSON: databaseUrl, poolMax, issuer,
 * audience, publicJwk, privateJwk, kid). Prints one JSON line `{ ready, url }`.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, type JsonWebKey } from "node:crypto";
import { listen } from "@sesame/service-kit/node";
import { Hono, type Context } from "hono";
import { SignJWT, jwtVerify } from "jose";
import postgres from "postgres";

interface FloorOptions {
  databaseUrl: string;
  poolMax: number;
  issuer: string;
  audience: string;
  publicJwk: JsonWebKey;
  privateJwk: JsonWebKey;
  kid: string;
}
const options = JSON.parse(process.env.BENCH_FLOOR ?? "{}") as FloorOptions;
const sql = postgres(options.databaseUrl, { max: options.poolMax, onnotice: () => {}, prepare: true });
const publicKey = createPublicKey({ key: options.publicJwk, format: "jwk" });
const privateKey = createPrivateKey({ key: options.privateJwk, format: "jwk" });
const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
const bearer = (c: Context) => c.req.header("authorization")?.replace(/^Bearer /, "") ?? "";

async function apiKeyTenant(c: Context): Promise<string | null> {
  const [key] = await sql<{ tenant_id: string }[]>`select tenant_id from api_keys where key_hash = ${sha256(bearer(c))} and revoked_at is null limit 1`;
  return key?.tenant_id ?? null;
}

function signAccessToken(claims: { sub: string; sid: string; tid: string; gen: number }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, jti: randomBytes(16).toString("base64url") })
    .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: options.kid })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .sign(privateKey);
}

const app = new Hono();

// Handlers still running when the measurement ends (autocannon has closed its sockets, so the
// server no longer sees them) must finish before the pool goes, or their next query fails.
let running = 0;
app.use("*", async (_c, next) => {
  running++;
  try {
    await next();
  } finally {
    running--;
  }
});

app.get("/auth.me", async (c) => {
  const { payload } = await jwtVerify(bearer(c), publicKey, { issuer: options.issuer, audience: options.audience, algorithms: ["EdDSA"], typ: "at+jwt" }).catch(() => ({ payload: null }));
  if (!payload) return c.json({ error: "unauthorized" }, 401);
  const [row] = await sql`
    select row_to_json(s) as session, row_to_json(u) as user, t.settings
    from sessions s join users u on u.id = s.user_id join tenants t on t.id = s.tenant_id
    where s.id = ${payload.sid as string} and s.user_id = ${payload.sub!} and s.tenant_id = ${payload.tid as string} limit 1`;
  if (!row) return c.json({ error: "unauthorized" }, 401);
  return c.json(row);
});

app.get("/tenants.get", async (c) => {
  const tenantId = await apiKeyTenant(c);
  if (!tenantId) return c.json({ error: "unauthorized" }, 401);
  const [tenant] = await sql`select * from tenants where id = ${tenantId} limit 1`;
  return c.json(tenant);
});

app.post("/users.get", async (c) => {
  const tenantId = await apiKeyTenant(c);
  if (!tenantId) return c.json({ error: "unauthorized" }, 401);
  const { userId } = await c.req.json<{ userId: string }>();
  const [[user], sessions] = await Promise.all([
    sql`select * from users where id = ${userId} and tenant_id = ${tenantId} and deleted_at is null limit 1`,
    sql`select * from sessions where user_id = ${userId} and tenant_id = ${tenantId} and deleted_at is null order by created_at desc`,
  ]);
  if (!user) return c.json({ error: "not_found" }, 404);
  return c.json({ ...user, sessions });
});

app.post("/sessions.list", async (c) => {
  const tenantId = await apiKeyTenant(c);
  if (!tenantId) return c.json({ error: "unauthorized" }, 401);
  const { userId } = await c.req.json<{ userId: string }>();
  const sessions = await sql`
    select * from sessions where user_id = ${userId} and tenant_id = ${tenantId} and deleted_at is null
      and state = 'ENROLLED' and expires_at > now() order by created_at desc`;
  return c.json(sessions);
});

app.post("/sessions.create", async (c) => {
  const tenantId = await apiKeyTenant(c);
  if (!tenantId) return c.json({ error: "unauthorized" }, 401);
  const { userId } = await c.req.json<{ userId: string }>();
  const refreshToken = `rt_${randomBytes(32).toString("base64url")}`;
  const created = await sql.begin(async (tx) => {
    const [user] = await tx`
      select u.groups, t.settings from users u join tenants t on t.id = u.tenant_id
      where u.id = ${userId} and u.tenant_id = ${tenantId} and u.deleted_at is null and not u.locked for update of u`;
    if (!user) return null;
    const [session] = await tx`
      insert into sessions (tenant_id, user_id, provider, access_groups, user_agent, expires_at)
      values (${tenantId}, ${userId}, 'admin', ${user.groups}, 'bench/1.0', now() + interval '30 days') returning *`;
    await tx`insert into events (tenant_id, type, actor_kind, user_id, session_id, data) values (${tenantId}, 'session.created', 'admin', ${userId}, ${session!.id}, ${tx.json({ provider: "admin" })})`;
    const [outbox] = await tx`insert into cache_outbox (session_id, entry) values (${session!.id}, ${JSON.stringify({ sid: session!.id })}) returning id`;
    await tx`insert into refresh_tokens (session_id, token_hash, generation) values (${session!.id}, ${sha256(refreshToken)}, 1)`;
    return { session: session!, outboxId: outbox!.id as string };
  });
  if (!created) return c.json({ error: "not_found" }, 404);
  await sql`update cache_outbox set delivered_at = now() where id = ${created.outboxId}`;
  const accessToken = await signAccessToken({ sub: userId, sid: created.session.id as string, tid: tenantId, gen: 1 });
  return c.json({ session: created.session, accessToken, refreshToken });
});

app.post("/auth.refresh", async (c) => {
  const { refreshToken } = await c.req.json<{ refreshToken: string }>();
  const tokenHash = sha256(refreshToken);
  const child = `rt_${randomBytes(32).toString("base64url")}`;
  const session = await sql.begin(async (tx) => {
    const [current] = await tx`
      select s.id, s.user_id, s.tenant_id, s.generation from sessions s join users u on u.id = s.user_id join tenants t on t.id = s.tenant_id
      where s.id in (select session_id from refresh_tokens where token_hash = ${tokenHash}) for update of s`;
    const [row] = await tx`select id, rotated_at, revoked_at from refresh_tokens where token_hash = ${tokenHash} for update`;
    if (!current || !row || row.rotated_at || row.revoked_at) return null;
    const [inserted] = await tx`insert into refresh_tokens (session_id, token_hash, parent_id, generation) values (${current.id}, ${sha256(child)}, ${row.id}, ${current.generation}) returning id`;
    await tx`update refresh_tokens set rotated_at = now(), child_id = ${inserted!.id} where id = ${row.id}`;
    const [updated] = await tx`update sessions set last_connected_at = now() where id = ${current.id} returning *`;
    return updated!;
  });
  if (!session) return c.json({ error: "unauthorized" }, 401);
  const accessToken = await signAccessToken({ sub: session.user_id as string, sid: session.id as string, tid: session.tenant_id as string, gen: session.generation as number });
  return c.json({ session, accessToken, refreshToken: child });
});

const server = await listen(app.fetch, { port: 0 });
console.log(JSON.stringify({ ready: true, url: server.url }));
process.on("SIGTERM", async () => {
  await server.drain();
  for (let waited = 0; running > 0 && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  await sql.end({ timeout: 2 });
  process.exit(0);
});
