// The thinnest vertical slice: the typed client, over HTTP, with the root key, creates a tenant
// that is then read back from Postgres.
import { createSesameClient } from "@sesame/client";
import { startApi, uniqueTenantCode, type ApiHarness } from "@sesame/api/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.stop());

it("creates a tenant through @sesame/client and the row is in Postgres", async () => {
  const client = createSesameClient({ url: api.url, apiKey: api.config.rootKey });
  const code = uniqueTenantCode("S");
  const { tenant } = await client.tenants.create.mutate({ code, name: "Slice" });
  const rows = await api.deps.db.execute(sql`select id, code, name from tenants where code = ${code}`);
  expect(rows).toEqual([{ id: tenant.id, code, name: "Slice" }]);
});
