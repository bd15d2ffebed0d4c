import { batchResultsSchema } from "@sesame/core";
import { z } from "zod";
import { BATCH_MAX_OPERATIONS, runBatch } from "../services/batch/run-batch.ts";
import { adminProcedure, router } from "../trpc.ts";
import { uuid } from "./inputs.ts";

const userParams = z.object({ userId: uuid }).strict();
const sessionParams = z.object({ userId: uuid, sessionId: uuid }).strict();

/** A malformed operation fails the whole request (BAD_REQUEST naming `operations.<i>.…`), before anything runs. */
const operation = z.discriminatedUnion("method", [
  z.object({ method: z.literal("users/lock"), params: z.object({ userId: uuid, wipe: z.boolean() }).strict() }).strict(),
  z.object({ method: z.literal("users/unlock"), params: userParams }).strict(),
  z.object({ method: z.literal("users/sessions/wipe"), params: sessionParams }).strict(),
  z.object({ method: z.literal("users/sessions/re-authenticate"), params: sessionParams }).strict(),
  z.object({ method: z.literal("users/authentication-token"), params: userParams }).strict(),
]);

export const runBatchInput = z
  .object({
    operations: z.array(operation).min(1).max(BATCH_MAX_OPERATIONS, `must hold at most ${BATCH_MAX_OPERATIONS} operations`),
    atomic: z.boolean().optional(),
    /** Not atomic: stop at the first failure; the operations after it are not applied (code `SKIPPED`). */
    stopOnError: z.boolean().optional(),
  })
  .strict()
  .refine((v) => !(v.atomic && v.stopOnError), { path: ["stopOnError"], message: "cannot be combined with atomic (an atomic batch applies nothing when one operation fails)" });

export const batchRouter = router({
  run: adminProcedure.input(runBatchInput).output(batchResultsSchema).mutation(({ ctx, input }) => runBatch(ctx.deps, ctx.scope, input)),
});
