/**
 * A local endpoint speaking the Upstash Redis REST protocol, so @upstash/redis works unchanged in
 * development and tests, over real Redis (ioredis) or in memory (ioredis-mock).
 *
 * Routes: `POST /` (one command), `POST /pipeline`, `POST /multi-exec`; every route wants
 * `Authorization: Bearer <token>`. With `Upstash-Encoding: base64` (the client's default) every
 * string in a result is base64-encoded, so values that merely look like base64 survive the trip.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type Context } from "hono";
import type { Redis } from "ioredis";
import { createCommandRunner, type CommandOutcome, type RedisCommand } from "./command-runner.ts";
import { toRedisErrorMessage, type RedisReply } from "./redis-reply.ts";

export interface UpstashShimOptions {
  /** An ioredis client, or an ioredis-mock instance for an in-memory store. */
  redis: Redis;
  /** The bearer token clients must send (`UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
}

// Commands that would change the state of the one connection every request shares.
const CONNECTION_COMMANDS = new Set(["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor", "quit", "reset", "select", "auth", "hello", "multi", "exec", "discard", "watch", "unwatch"]);

export function createUpstashShim({ redis, token }: UpstashShimOptions): Hono {
  if (!token) throw new TypeError("createUpstashShim: token is required");
  const runner = createCommandRunner(redis);
  const expected = digest(`Bearer ${token}`);
  const app = new Hono();

  app.use("*", async (c, next) => {
    if (!timingSafeEqual(digest(c.req.header("authorization") ?? ""), expected)) return c.json({ error: "Unauthorized" }, 401);
    await next();
  });
  app.post("/", (c) => answer(c, async (body) => ({ result: await runner.run(parseCommand(body)) })));
  app.post("/pipeline", (c) =>
    answer(c, async (body) => {
      // ioredis keeps order on its one connection, so the commands can all be sent at once.
      const settled = await Promise.allSettled(parseCommands(body).map((command) => runner.run(command)));
      return settled.map((s): CommandOutcome => (s.status === "fulfilled" ? { result: s.value } : { error: toRedisErrorMessage(s.reason) }));
    }),
  );
  app.post("/multi-exec", (c) => answer(c, async (body) => runner.runTransaction(parseCommands(body))));
  app.notFound((c) => c.json({ error: "ERR not found" }, 404));
  return app;
}

type Answer = { result: RedisReply } | CommandOutcome[];

async function answer(c: Context, handle: (body: unknown) => Promise<Answer>): Promise<Response> {
  try {
    const body: unknown = await c.req.json().catch(() => {
      throw new Error("ERR failed to parse the request body as JSON");
    });
    const reply = await handle(body);
    if (c.req.header("upstash-encoding")?.toLowerCase() !== "base64") return c.json(reply);
    return c.json(Array.isArray(reply) ? reply.map(encodeOutcome) : { result: encodeBase64(reply.result) });
  } catch (error) {
    return c.json({ error: toRedisErrorMessage(error) }, 400);
  }
}

function parseCommand(body: unknown): RedisCommand {
  if (!Array.isArray(body) || body.length === 0 || typeof body[0] !== "string") throw new Error("ERR a command is a non-empty JSON array starting with its name");
  const [name, ...args] = body as [string, ...unknown[]];
  if (CONNECTION_COMMANDS.has(name.toLowerCase())) throw new Error(`ERR command '${name}' is not allowed over REST`);
  // @upstash/redis sends numbers and booleans as JSON values; Redis wants every argument as a string.
  return [name, ...args.map((a) => (typeof a === "string" ? a : JSON.stringify(a)))];
}

function parseCommands(body: unknown): RedisCommand[] {
  if (!Array.isArray(body) || body.length === 0) throw new Error("ERR expected a non-empty JSON array of commands");
  return body.map(parseCommand);
}

function encodeOutcome(outcome: CommandOutcome): CommandOutcome {
  return "error" in outcome ? outcome : { result: encodeBase64(outcome.result) };
}

function encodeBase64(reply: RedisReply): RedisReply {
  if (typeof reply === "string") return Buffer.from(reply, "utf8").toString("base64");
  return Array.isArray(reply) ? reply.map(encodeBase64) : reply;
}

// Equal-length digests let the token check run in constant time.
function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
