/**
 * What other packages may import: the router's type (for the typed client) and the migrations
 * (for scripts that prepare a database). Tests start the API through `@sesame/api/testing`.
 */
export type { AppRouter } from "./routers/_app.ts";
export { runMigrations } from "./db/migrate.ts";
/** The per-account-and-source password budget, for runs that check it is shared across processes. */
export { LOGIN_ACCOUNT_SOURCE_RULE } from "./services/auth/throttle.ts";
