/**
 * JourneyApps' batch endpoint for users: `{ "operations": [...], "stop_on_error"?: bool }` holding
 * the seed page's flat operations (`{"method": "users/lock", "user_id": …, "wipe": …}`), run by
 * `batch.run` (not atomic; `stop_on_error` skips what follows a failure), answered per operation.
 */
import { enrollmentCodeSchema, type BatchResult } from "@sesame/core";
import { z } from "zod";
import { BATCH_MAX_OPERATIONS, type BatchOperation, type RunBatchInput } from "../../services/batch/run-batch.ts";

const id = z.uuid({ error: "must be a UUID" });

const operation = z.discriminatedUnion("method", [
  z.object({ method: z.literal("users/lock"), user_id: id, wipe: z.boolean({ error: "is required: true wipes the user's devices, false only signs them out" }) }).strict(),
  z.object({ method: z.literal("users/unlock"), user_id: id }).strict(),
  z.object({ method: z.literal("users/sessions/wipe"), user_id: id, session_id: id }).strict(),
  z.object({ method: z.literal("users/sessions/re-authenticate"), user_id: id, session_id: id }).strict(),
  z.object({ method: z.literal("users/authentication-token"), user_id: id }).strict(),
]);
type JourneyAppsOperation = z.infer<typeof operation>;

export const journeyAppsBatchInput = z
  .object({
    operations: z.array(operation).min(1).max(BATCH_MAX_OPERATIONS, `must hold at most ${BATCH_MAX_OPERATIONS} operations`),
    stop_on_error: z.boolean().optional(),
  })
  .strict()
  .meta({ id: "JourneyAppsBatch" });
type JourneyAppsBatch = z.infer<typeof journeyAppsBatchInput>;

const operationResult = z.object({
  method: z.string(),
  user_id: z.uuid(),
  session_id: z.uuid().optional(),
  success: z.boolean(),
  /** `users/authentication-token` only. */
  token: z.string().optional(),
  url: z.string().nullable().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export const journeyAppsBatchResultsSchema = z
  .object({ stop_on_error: z.boolean(), operations: z.array(operationResult) })
  .meta({ id: "JourneyAppsBatchResults" });

function toSesameOperation(op: JourneyAppsOperation): BatchOperation {
  switch (op.method) {
    case "users/lock":
      return { method: op.method, params: { userId: op.user_id, wipe: op.wipe } };
    case "users/sessions/wipe":
    case "users/sessions/re-authenticate":
      return { method: op.method, params: { userId: op.user_id, sessionId: op.session_id } };
    default:
      return { method: op.method, params: { userId: op.user_id } };
  }
}

export const toSesameBatch = (body: JourneyAppsBatch): RunBatchInput => ({ operations: body.operations.map(toSesameOperation), stopOnError: body.stop_on_error ?? false });

export function toJourneyAppsBatch(body: JourneyAppsBatch, { results }: { results: BatchResult[] }): z.infer<typeof journeyAppsBatchResultsSchema> {
  return {
    stop_on_error: body.stop_on_error ?? false,
    operations: body.operations.map((op, i) => {
      const result = results[i]!;
      const echo = { method: op.method, user_id: op.user_id, ...("session_id" in op ? { session_id: op.session_id } : {}) };
      if (!result.ok) return { ...echo, success: false, error: result.error };
      const code = enrollmentCodeSchema.safeParse(result.result);
      return code.success ? { ...echo, success: true, token: code.data.token, url: code.data.url } : { ...echo, success: true };
    }),
  };
}
