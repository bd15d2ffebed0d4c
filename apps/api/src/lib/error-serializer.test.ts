import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { serializeError } from "./error-serializer.ts";

const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

function failedInsert() {
  const pg = Object.assign(new Error('new row for relation "users" violates check constraint "users_name_check"'), {
    name: "PostgresError",
    code: "23514",
    constraint_name: "users_name_check",
    detail: `Failing row contains (ada, ${HASH}).`,
  });
  // postgres.js attaches these, non-enumerable unless its debug option is on.
  Object.defineProperties(pg, { query: { value: "insert into users values ($1, $2)" }, parameters: { value: ["ada", HASH] } });
  return new DrizzleQueryError("insert into users values ($1, $2)", ["ada", HASH], pg);
}

describe("serializeError", () => {
  it("keeps type, SQLSTATE and constraint, and drops the statement, its values and the failing row", () => {
    const wrapper = new Error(failedInsert().message, { cause: failedInsert() });
    const out = serializeError(wrapper);
    const text = JSON.stringify(out);
    expect(text).not.toContain(HASH);
    expect(text).not.toContain("insert into users");
    expect(text).not.toContain("Failing row");
    expect(out).toMatchObject({
      message: "Failed query (statement and parameters withheld from logs)",
      cause: { type: "DrizzleQueryError", cause: { type: "PostgresError", code: "23514", constraint_name: "users_name_check" } },
    });
  });

  it("keeps the stack frames", () => {
    const out = serializeError(failedInsert()) as { stack: string };
    expect(out.stack).toMatch(/^DrizzleQueryError: Failed query \(statement and parameters withheld from logs\)\n\s+at /);
  });

  it("leaves other errors as they were", () => {
    expect(serializeError(new TypeError("boom"))).toMatchObject({ type: "TypeError", message: "boom" });
    expect(serializeError("not an error")).toBe("not an error");
  });
});
