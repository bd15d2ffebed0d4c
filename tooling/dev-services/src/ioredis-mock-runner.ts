/**
 * Command runner over ioredis-mock, the in-memory default. The mock has no generic `call`, no
 * SCRIPT command, reads SET and ZADD options only in upper case and does not isolate MULTI from other
 * clients, so this runner papers over exactly those gaps and nothing more.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { CommandOutcome, CommandRunner, RedisCommand } from "./command-runner.ts";
import { normalizeReply, toRedisErrorMessage, type RedisReply } from "./redis-reply.ts";

type Method = (...args: string[]) => unknown;

// Commands whose arguments after the key are all keywords or numbers, which the mock compares in
// upper case only (@upstash/redis sends "ex", "px", "nx"...).
const OPTION_CASE = { set: 2, getex: 1 } as Record<string, number>;
// ZADD's flags come between the key and the score/member pairs (members keep their case).
const ZADD_FLAG = /^(nx|xx|gt|lt|ch|incr)$/i;

export function createIoredisMockRunner(mock: Redis): CommandRunner {
  // EVALSHA in the mock looks scripts up in this per-instance table; EVAL fills it too.
  const scripts = (mock as unknown as { shaScripts: Record<string, string> }).shaScripts;
  let tail: Promise<unknown> = Promise.resolve();

  // One command or transaction at a time, so a MULTI/EXEC is atomic for every client of the shim.
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };

  const runScript = (sub = "", ...args: string[]): RedisReply => {
    switch (sub.toLowerCase()) {
      case "load": {
        const sha = createHash("sha1").update(args[0] ?? "").digest("hex");
        scripts[sha] = args[0] ?? "";
        return sha;
      }
      case "exists":
        return args.map((sha) => (sha in scripts ? 1 : 0));
      case "flush":
        for (const sha of Object.keys(scripts)) delete scripts[sha];
        return "OK";
      default:
        throw new Error(`ERR unknown subcommand '${sub}' for 'script'`);
    }
  };

  const resolve = (name: string): Method => {
    const key = name.toLowerCase();
    if (key === "script") return runScript;
    // Commands are own properties of a mock instance; its lifecycle methods (disconnect, duplicate,
    // multi...) live on the prototype and must not be reachable from the wire.
    const method = Object.hasOwn(mock, key) ? (mock as unknown as Record<string, unknown>)[key] : undefined;
    if (typeof method !== "function") throw new Error(`ERR unknown command '${name}'`);
    if (key === "zadd") {
      return (zkey, ...rest) => {
        let flags = 0;
        while (flags < rest.length && ZADD_FLAG.test(rest[flags]!)) flags++;
        return (method as Method).apply(mock, [zkey!, ...rest.map((arg, i) => (i < flags ? arg.toUpperCase() : arg))]);
      };
    }
    const upperFrom = OPTION_CASE[key];
    return (...args) =>
      (method as Method).apply(mock, upperFrom === undefined ? args : args.map((a, i) => (i >= upperFrom ? a.toUpperCase() : a)));
  };

  const runNow = async ([name, ...args]: RedisCommand): Promise<RedisReply> => normalizeReply(await resolve(name)(...args));

  return {
    run: (command) => exclusive(() => runNow(command)),
    runTransaction: (commands) =>
      exclusive(async () => {
        // Like Redis: an unknown command discards the whole transaction, errors at run time do not.
        try {
          for (const [name] of commands) resolve(name);
        } catch (error) {
          throw new Error(`EXECABORT Transaction discarded because of previous errors: ${toRedisErrorMessage(error)}`);
        }
        const outcomes: CommandOutcome[] = [];
        for (const command of commands) {
          try {
            outcomes.push({ result: await runNow(command) });
          } catch (error) {
            outcomes.push({ error: toRedisErrorMessage(error) });
          }
        }
        return outcomes;
      }),
  };
}
