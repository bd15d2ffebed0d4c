/**
 * How errors are written to the logs. A failed query must not put its values there: drizzle's
 * DrizzleQueryError says `Failed query: <sql>\nparams: <values>` in its message (and tRPC copies
 * that message into the error that wraps it), and postgres.js errors carry `query`, `parameters`
 * and `args`, plus a `detail` such as "Failing row contains (…)" — a password hash among them.
 * This keeps the error's type, SQLSTATE, constraint and stack frames, and drops every value.
 */

/** Fields that hold a statement, its values or a row. */
const WITHHELD_FIELDS = new Set(["query", "params", "parameters", "args", "types", "detail", "where", "internal_query"]);
const QUERY_MESSAGE = /Failed query: [\s\S]*/;
const WITHHELD = "Failed query (statement and parameters withheld from logs)";
const MAX_CAUSES = 5;

export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const chain = causesOf(error);
  // Any value a query of this chain was given, so that no message or stack line can repeat it.
  const values = chain.flatMap(queryValues);
  const clean = (text: string) => values.reduce((t, v) => t.split(v).join("[withheld]"), text.replace(QUERY_MESSAGE, WITHHELD));
  return serializeOne(chain, 0, clean);
}

function serializeOne(chain: Error[], index: number, clean: (text: string) => string): Record<string, unknown> {
  const error = chain[index]!;
  // drizzle's DrizzleQueryError keeps the name "Error"; its class name says more.
  const type = error.name === "Error" && error.constructor.name !== "Error" ? error.constructor.name : error.name;
  const out: Record<string, unknown> = { type, message: clean(error.message) };
  if (error.stack) {
    // The stack starts with "Name: message"; the message part may span lines, so rebuild it from the frames.
    const frames = error.stack.split("\n").filter((line) => /^\s+at /.test(line));
    out.stack = [`${type}: ${out.message as string}`, ...frames].join("\n");
  }
  for (const [key, value] of Object.entries(error)) {
    if (WITHHELD_FIELDS.has(key) || key === "cause" || key === "message" || key === "stack") continue;
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) out[key] = typeof value === "string" ? clean(value) : value;
  }
  if (index + 1 < chain.length) out.cause = serializeOne(chain, index + 1, clean);
  return out;
}

function causesOf(error: Error): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = error; e instanceof Error && chain.length < MAX_CAUSES; e = e.cause) chain.push(e);
  return chain;
}

/** Stringified parameters of a query error (drizzle's `params`, postgres.js's `parameters`/`args`), longest first. */
function queryValues(error: Error): string[] {
  const holder = error as { params?: unknown; parameters?: unknown; args?: unknown };
  const lists = [holder.params, holder.parameters, holder.args].filter(Array.isArray) as unknown[][];
  const values = lists.flat().flatMap((v) => (v === null || v === undefined ? [] : [typeof v === "string" ? v : JSON.stringify(v) ?? ""]));
  // Short values ("1", "true") would blank out ordinary words; they are not secrets.
  return [...new Set(values.filter((v) => v.length >= 6))].sort((a, b) => b.length - a.length);
}
