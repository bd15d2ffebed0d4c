/** What other packages may import: the router type (for the client), the app factory and deps (for tests). */
export { appRouter, type AppRouter } from "./routers/_app.ts";
export { createApiApp } from "./app.ts";
export { createDeps, createCacheStore } from "./create-deps.ts";
export { createCallerFactory } from "./trpc.ts";
export { createContextInner } from "./context.ts";
export { runMigrations } from "./db/migrate.ts";
export type { AppDeps } from "./deps.ts";
export type { ApiConfig } from "./config.ts";
