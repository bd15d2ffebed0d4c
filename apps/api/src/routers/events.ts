import { eventsPageSchema } from "@sesame/core";
import { z } from "zod";
import { listEvents } from "../services/events/list-events.ts";
import { adminProcedure, router } from "../trpc.ts";
import { pageLimit, uuid } from "./inputs.ts";

/** Every filter is an id, a type or a cursor (no personal data), so REST carries them in the query string. */
export const listEventsFields = {
  userId: uuid.optional(),
  sessionId: uuid.optional(),
  type: z.string().trim().min(1).max(100).optional(),
  cursor: z.string().regex(/^[1-9][0-9]{0,14}$/, "must be a nextCursor from a previous page").optional(),
  limit: pageLimit(1000).default(50),
};
export const listEventsInput = z.object(listEventsFields).strict().default({ limit: 50 });

export const eventsRouter = router({
  list: adminProcedure.input(listEventsInput).output(eventsPageSchema).query(({ ctx, input }) => listEvents(ctx.deps, ctx.scope, input)),
});
