/**
 * drizzle's `is(value, Class)` answers every "what kind of chunk is this?" while a query is built.
 * patches/drizzle-orm+0.45.4.patch remembers its answer per (constructor, class); these tests pin
 * that the remembered answers are the ones drizzle itself gives, in the orders a query asks them.
 */
import { Column, SQL, Table, entityKind, is, sql } from "drizzle-orm";
import { alias, PgColumn, PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { sessions, users } from "../src/db/schema.ts";

describe("drizzle is()", () => {
  it("answers for columns, tables and SQL, asked in any order and again", () => {
    for (let round = 0; round < 3; round++) {
      expect(is(users.id, Column)).toBe(true);
      expect(is(users.id, PgColumn)).toBe(true);
      expect(is(users.id, Table)).toBe(false);
      expect(is(users.id, SQL)).toBe(false);
      expect(is(users, Table)).toBe(true);
      expect(is(users, PgTable)).toBe(true);
      expect(is(users, Column)).toBe(false);
      expect(is(sql`1`, SQL)).toBe(true);
      expect(is(sql`1`, Column)).toBe(false);
      // Another column type of another table: its own answers, not the first column's.
      expect(is(sessions.expiresAt, Column)).toBe(true);
      expect(is(sessions.expiresAt, Table)).toBe(false);
    }
  });

  it("sees through an aliased table and its columns", () => {
    const other = alias(users, "other_users");
    expect(is(other, Table)).toBe(true);
    expect(is(other.id, Column)).toBe(true);
    expect(is(other.id, SQL)).toBe(false);
  });

  it("answers false for plain values, whatever was asked before", () => {
    for (const value of [{ a: 1 }, ["a"], new Date(0), Buffer.from("x"), JSON.parse('{"__proto__": {"x": 1}}')]) {
      expect(is(value, Column)).toBe(false);
      expect(is(value, SQL)).toBe(false);
      expect(is(value, Table)).toBe(false);
    }
    expect(is(null, Column)).toBe(false);
    expect(is("users", Table)).toBe(false);
  });

  it("recognises an entity of another drizzle copy by its kind, and refuses a class that is not an entity", () => {
    // A second copy of drizzle (say, CommonJS beside ESM) has its own classes with the same kinds.
    class ForeignSql {
      static readonly [entityKind]: string = "SQL";
    }
    class ForeignChild extends ForeignSql {
      static override readonly [entityKind] = "ForeignChild";
    }
    expect(is(new ForeignSql(), SQL)).toBe(true);
    expect(is(new ForeignChild(), SQL)).toBe(true);
    expect(is(new ForeignChild(), Column)).toBe(false);

    class NotAnEntity {}
    expect(() => is({}, NotAnEntity as never)).toThrow(/doesn't look like a Drizzle entity/);
    expect(() => is({}, NotAnEntity as never)).toThrow(/doesn't look like a Drizzle entity/);
  });
});
