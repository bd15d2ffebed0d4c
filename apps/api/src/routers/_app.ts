import { router } from "../trpc.ts";
import { apiKeysRouter } from "./api-keys.ts";
import { authRouter } from "./auth.ts";
import { batchRouter } from "./batch.ts";
import { enrollmentRouter } from "./enrollment.ts";
import { eventsRouter } from "./events.ts";
import { sessionsRouter } from "./sessions.ts";
import { tenantsRouter } from "./tenants.ts";
import { usersRouter } from "./users.ts";
import { webhooksRouter } from "./webhooks.ts";

export const appRouter = router({
  tenants: tenantsRouter,
  apiKeys: apiKeysRouter,
  auth: authRouter,
  users: usersRouter,
  sessions: sessionsRouter,
  enrollment: enrollmentRouter,
  batch: batchRouter,
  events: eventsRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
