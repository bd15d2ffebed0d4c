/**
 * Command runner over real ioredis: any command goes through `call`, transactions through MULTI/EXEC.
 */
import type { Redis } from "ioredis";
import type { CommandRunner } from "./command-runner.ts";
import { normalizeReply, toRedisErrorMessage } from "./redis-reply.ts";

export function createIoredisRunner(redis: Redis): CommandRunner {
  return {
    async run([name, ...args]) {
      return normalizeReply(await redis.call(name, ...args));
    },
    async runTransaction(commands) {
      const transaction = redis.multi();
      for (const [name, ...args] of commands) transaction.call(name, ...args);
      // exec() rejects with EXECABORT when Redis refused to queue a command; null means a WATCH fired.
      const replies = await transaction.exec();
      if (!replies) throw new Error("EXECABORT Transaction discarded");
      return replies.map(([error, result]) =>
        error ? { error: toRedisErrorMessage(error) } : { result: normalizeReply(result) },
      );
    },
  };
}
