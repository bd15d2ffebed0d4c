import { router } from "../trpc.ts";
import { apiKeysRouter } from "./api-keys.ts";
import { tenantsRouter } from "./tenants.ts";

export const appRouter = router({
  tenants: tenantsRouter,
  apiKeys: apiKeysRouter,
});

export type AppRouter = typeof appRouter;
