/**
 * Input Postgres cannot take is the caller's mistake (400 naming the field), never a 500, and a
 * failed query leaves none of its values in the logs. Over HTTP against the running API; the
 * database failures come from a real trigger on the test database.
 */
import { randomBytes } from "node:crypto";
import { errorCode, errorField } from "@sesame/client";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/lib/logger.ts";
import { clientFrom, uniqueIp } from "./auth-fixtures.ts";
import { createTenantWithAdmin, startApi, type ApiHarness } from "./harness.ts";

/** First names that make the trigger below fail the insert: with a data exception, or with any other error. */
const DATA_EXCEPTION_NAME = `pg-data-exception-${randomBytes(4).toString("hex")}`;
const OTHER_FAILURE_NAME = `pg-failure-${randomBytes(4).toString("hex")}`;
const TRIGGER = `bad_input_test_${randomBytes(4).toString("hex")}`;

let api: ApiHarness;
const logLines: string[] = [];
beforeAll(async () => {
  api = await startApi({ deps: { logger: createLogger("info", { write: (line: string) => void logLines.push(line) }) } });
  await api.deps.db.execute(
    sql.raw(`
      create function ${TRIGGER}() returns trigger language plpgsql as $$
      begin
        if new.first_name = '${DATA_EXCEPTION_NAME}' then raise exception 'value out of range' using errcode = '22003'; end if;
        if new.first_name = '${OTHER_FAILURE_NAME}' then raise exception 'insert refused by test trigger'; end if;
        return new;
      end $$;
      create trigger ${TRIGGER} before insert on users for each row execute function ${TRIGGER}();
    `),
  );
});
afterAll(async () => {
  await api?.deps.db.execute(sql.raw(`drop trigger if exists ${TRIGGER} on users; drop function if exists ${TRIGGER}();`));
  await api?.stop();
});

async function failureOf(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "the call should have failed").not.toBeNull();
  const data = (error as { data?: { httpStatus?: number } }).data;
  return { code: errorCode(error), field: errorField(error), httpStatus: data?.httpStatus ?? null, message: (error as Error).message };
}

describe("NUL characters in inputs", () => {
  it("are refused on public auth.login with 400 naming the field", async () => {
    const client = clientFrom(api, uniqueIp());
    expect(await failureOf(client.auth.login.mutate({ tenant: "ACME", identifier: "ada\u0000", password: "x" }))).toEqual({
      code: "BAD_REQUEST",
      field: "identifier",
      httpStatus: 400,
      message: "identifier: must not contain NUL characters",
    });
    expect(await failureOf(client.auth.login.mutate({ tenant: "ACME", identifier: "ada", password: "pass\u0000word" }))).toMatchObject({ code: "BAD_REQUEST", field: "password" });
  });

  it("are refused in nested admin inputs, naming the nested field", async () => {
    const { admin } = await createTenantWithAdmin(api);
    expect(await failureOf(admin.users.create.mutate({ username: "nul-user", profile: { note: "a\u0000b" } }))).toMatchObject({ code: "BAD_REQUEST", field: "profile.note", httpStatus: 400 });
    expect(await failureOf(admin.users.create.mutate({ username: "nul-user", profile: { "bad\u0000key": 1 } }))).toMatchObject({ code: "BAD_REQUEST", field: "profile", httpStatus: 400 });
    expect(
      await failureOf(admin.batch.run.mutate({ operations: [{ method: "users/unlock", params: { userId: "x\u0000" } }] } as never)),
    ).toMatchObject({ code: "BAD_REQUEST", field: "operations.0.params.userId" });
    expect(await failureOf(admin.users.list.query({ query: "\u0000" }))).toMatchObject({ code: "BAD_REQUEST", field: "query" });
  });

  it("leave nothing behind: the user was not created", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const username = `nul-${randomBytes(3).toString("hex")}`;
    await failureOf(admin.users.create.mutate({ username, firstName: "a\u0000" }));
    expect((await admin.users.list.query({ query: username })).total).toBe(0);
  });
});

describe("values Postgres refuses", () => {
  it("answer 400 BAD_REQUEST, not 500", async () => {
    const { admin } = await createTenantWithAdmin(api);
    expect(await failureOf(admin.users.create.mutate({ username: `u-${randomBytes(3).toString("hex")}`, firstName: DATA_EXCEPTION_NAME }))).toMatchObject({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "A value in the input is not acceptable (rejected by the database)",
    });
  });
});

describe("logs of a failed query", () => {
  it("hold the error but none of the query's values (no password hash, no email)", async () => {
    const { admin } = await createTenantWithAdmin(api);
    const email = `canary-${randomBytes(6).toString("hex")}@example.test`;
    logLines.length = 0;
    const failed = await failureOf(admin.users.create.mutate({ username: `u-${randomBytes(3).toString("hex")}`, email, password: "correct horse battery staple", firstName: OTHER_FAILURE_NAME }));
    expect(failed).toMatchObject({ code: "INTERNAL_SERVER_ERROR", httpStatus: 500, message: "Internal error" });

    const logged = logLines.join("\n");
    expect(logged).toContain("procedure failed");
    // None of the insert's values: the argon2id hash, the email, the trigger-matching name.
    expect(logged).not.toContain("$argon2id$");
    expect(logged).not.toContain(email);
    expect(logged).not.toContain(OTHER_FAILURE_NAME);
    // But what an operator needs: the SQLSTATE and message of the trigger's exception.
    expect(logged).toContain("P0001");
    expect(logged).toContain("insert refused by test trigger");
  });
});
