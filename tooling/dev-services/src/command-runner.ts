/**
 * Runs raw Redis commands on an ioredis-compatible client, whichever kind it is.
 */
import type { Redis } from "ioredis";
import { createIoredisMockRunner } from "./ioredis-mock-runner.ts";
import { createIoredisRunner } from "./ioredis-runner.ts";
import type { RedisReply } from "./redis-reply.ts";

/** One command: its name, then its arguments, all strings as they go over the wire. */
export type RedisCommand = [name: string, ...args: string[]];

export type CommandOutcome = { result: RedisReply } | { error: string };

export interface CommandRunner {
  /** Runs one command; rejects with the Redis error. */
  run(command: RedisCommand): Promise<RedisReply>;
  /** Runs the commands as one MULTI/EXEC transaction; rejects when the transaction is discarded. */
  runTransaction(commands: RedisCommand[]): Promise<CommandOutcome[]>;
}

/** Real ioredis has a generic `call`; ioredis-mock only has one method per command. */
export function createCommandRunner(redis: Redis): CommandRunner {
  return typeof (redis as Partial<Redis>).call === "function" ? createIoredisRunner(redis) : createIoredisMockRunner(redis);
}
