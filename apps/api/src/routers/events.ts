import { z } from "zod";
import { listEvents } from "../services/events/list-events.ts";
import { adminProcedure, router } from "../trpc.ts";
import { pageLimit, uuid } from "./inputs.ts";

export const eventsRouter = router({
  list: adminProcedure
    .input(
      z
        .object({
          userId: uuid.optional(),
          sessionId: uuid.optional(),
          type: z.string().trim().min(1).max(100).optional(),
          cursor: z.string().regex(/^[1-9][0-9]{0,14}$/, "must be a nextCursor from a previous page").optional(),
          limit: pageLimit(1000).default(50),
        })
        .strict()
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) => listEvents(ctx.deps, ctx.scope, input)),
});
