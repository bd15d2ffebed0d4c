/**
 * `POST /v1/users/import`: a large import as NDJSON, one user row per line, answered as NDJSON with
 * one result per row as its chunk commits, then a summary (README "Importing users"). The rows go
 * through the `users.import` procedure in chunks of IMPORT_CHUNK_ROWS, in-process like every REST
 * route (rest/caller.ts): the same caller check, row validation, results and events.
 *
 *   request:  [{"firebaseScrypt": {...}}]\n{"externalId": "1", "username": "ada", ...}\n...
 *   answer:   {"index":0,"externalId":"1","status":"created","userId":"…"}\n... {"summary":{...}}\n
 *
 * The body is read as it arrives and each chunk is committed before more is read, so memory stays
 * at one chunk whatever the size. A row that is not JSON, holds a NUL or breaks a rule fails alone;
 * a failure of the whole import after the answer has started (an outage) ends the answer with an
 * `{"error": {...}}` line: rows answered before it are committed, the rest are not.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { importRowResultSchema, importSummarySchema, type ImportRowResult } from "@sesame/core";
import { TRPCError } from "@trpc/server";
import type { Context as HonoContext } from "hono";
import { z } from "zod";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../lib/errors.ts";
import { findNulCharacter } from "../lib/find-nul.ts";
import { firebaseScryptParams, importUserRow } from "../routers/users.ts";
import { IMPORT_CHUNK_ROWS } from "../services/users/import.ts";
import { callerFor, type ApiCaller } from "./caller.ts";
import { ERROR_RESPONSES, securityOf } from "./openapi-parts.ts";
import { asTRPCError, restErrorResponse } from "./rest-errors.ts";

export const USERS_IMPORT_STREAM_PATH = "/v1/users/import";
/** The most bytes one streamed import may send (the global SESAME_MAX_BODY_BYTES does not apply here). */
export const IMPORT_STREAM_MAX_BYTES = 1024 * 1024 * 1024;
/** The longest line (in characters): a row with 64 KiB profile and config objects fits with room to spare. */
export const IMPORT_STREAM_MAX_LINE_BYTES = 256 * 1024;
/** Rows per request; more go in another request (the import is idempotent by externalId). */
export const IMPORT_STREAM_MAX_ROWS = 1_000_000;

const NDJSON = "application/x-ndjson";
const optionsLine = z.object({ firebaseScrypt: firebaseScryptParams }).strict();

type Line = { kind: "row"; index: number; value: unknown } | { kind: "bad"; index: number; result: ImportRowResult };

export function mountUsersImportStream(app: OpenAPIHono, deps: AppDeps, remoteAddress: (c: HonoContext) => string | null): void {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: USERS_IMPORT_STREAM_PATH,
    tags: ["Users"],
    summary: "Import users as NDJSON, with their existing password hashes (results streamed back)",
    description: `One user row per line (the fields of \`users.import\`); an optional first line \`{"firebaseScrypt": {...}}\` gives Firebase's hash parameters. Answers NDJSON: one ImportRowResult per row, in order, as each chunk of ${IMPORT_CHUNK_ROWS} rows commits, then \`{"summary": {...}}\` — or \`{"error": {...}}\` if the import stopped. At most ${IMPORT_STREAM_MAX_ROWS} rows and ${IMPORT_STREAM_MAX_LINE_BYTES / 1024} KiB a line. For at most 1000 rows, \`users.import\` over tRPC answers in one JSON body.`,
    security: securityOf("apiKey"),
    request: { body: { required: true, content: { [NDJSON]: { schema: importUserRow } } } },
    responses: {
      200: { description: "One line per row, then the summary", content: { [NDJSON]: { schema: z.union([importRowResultSchema, z.object({ summary: importSummarySchema })]) } } },
      ...ERROR_RESPONSES,
      415: { description: `The body is not ${NDJSON}`, content: ERROR_RESPONSES[400].content },
    },
  });

  // Errors before the answer starts (credentials, content type) throw to rest-app's error handler.
  app.post(USERS_IMPORT_STREAM_PATH, async (c) => {
    const api = callerFor(deps, c, remoteAddress(c));
    // The caller first: a stranger learns nothing about the body rules. tenants.get is the cheapest admin call.
    await api.tenants.get();
    if (Object.keys(c.req.queries()).length > 0) throw apiError("BAD_REQUEST", "no query parameters are accepted", Object.keys(c.req.queries())[0]);
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== NDJSON && type !== "application/jsonl") throw new TRPCError({ code: "UNSUPPORTED_MEDIA_TYPE", message: `send the rows as ${NDJSON} (one JSON object per line)` });
    const body = c.req.raw.body;
    if (!body) throw apiError("BAD_REQUEST", "the body must hold at least one row", "body");

    const encoder = new TextEncoder();
    const lines = importAnswers(deps, api, body);
    // Pulled: the next chunk of the body is read only as the answer is consumed (backpressure both ways).
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await lines.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      },
      async cancel() {
        await lines.return(undefined);
      },
    });
    return new Response(stream, { status: 200, headers: { "content-type": `${NDJSON}; charset=utf-8`, "cache-control": "no-store" } });
  });
}

/** The answer's lines: each row's result as its chunk commits, then the summary (or the error that stopped it). */
async function* importAnswers(deps: AppDeps, api: ApiCaller, body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  // Counts only: a million results are not kept in memory for the summary.
  const summary = { created: 0, skipped: 0, failed: 0 };
  let firebaseScrypt: z.infer<typeof firebaseScryptParams> | undefined;
  let chunk: Line[] = [];
  async function* flush() {
    if (chunk.length === 0) return;
    const lines = chunk;
    chunk = [];
    const rows = lines.filter((l): l is Extract<Line, { kind: "row" }> => l.kind === "row");
    const answered = rows.length > 0 ? (await api.users.import({ users: rows.map((r) => r.value), ...(firebaseScrypt ? { firebaseScrypt } : {}) })).results : [];
    let next = 0;
    for (const line of lines) {
      const result = line.kind === "bad" ? line.result : { ...answered[next++]!, index: line.index };
      summary[result.status] += 1;
      yield result;
    }
  }
  try {
    let index = 0;
    for await (const text of ndjsonLines(body)) {
      if (text.trim() === "") continue;
      const parsed = parseLine(text);
      if (index === 0 && !firebaseScrypt && parsed.ok && isOptionsLine(parsed.value)) {
        const options = optionsLine.safeParse(parsed.value);
        if (!options.success) {
          const issue = options.error.issues[0]!;
          throw apiError("BAD_REQUEST", `${issue.path.join(".")}: ${issue.message}`, issue.path.join("."));
        }
        firebaseScrypt = options.data.firebaseScrypt;
        continue;
      }
      if (index >= IMPORT_STREAM_MAX_ROWS) throw apiError("BAD_REQUEST", `at most ${IMPORT_STREAM_MAX_ROWS} rows per request: send the rest in another`, "body");
      const nulAt = parsed.ok ? findNulCharacter(parsed.value) : null;
      if (!parsed.ok) chunk.push({ kind: "bad", index, result: badLine(index, null, "line", "is not a JSON object") });
      else if (nulAt !== null) chunk.push({ kind: "bad", index, result: badLine(index, externalIdOf(parsed.value), nulAt || "row", "must not contain NUL characters") });
      else chunk.push({ kind: "row", index, value: parsed.value });
      index += 1;
      if (chunk.length >= IMPORT_CHUNK_ROWS) yield* flush();
    }
    yield* flush();
    yield { summary };
  } catch (error) {
    const failure = asTRPCError(error);
    if (failure.code === "INTERNAL_SERVER_ERROR") deps.logger.error({ err: error, path: USERS_IMPORT_STREAM_PATH }, "import stream failed");
    yield { error: await restErrorResponse(failure).json(), summary };
  }
}

function isOptionsLine(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "firebaseScrypt" in value && !("externalId" in value);
}

function parseLine(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

const externalIdOf = (value: unknown) => {
  const id = (value as { externalId?: unknown }).externalId;
  return typeof id === "string" ? id : null;
};

function badLine(index: number, externalId: string | null, field: string, message: string): ImportRowResult {
  return { index, externalId, status: "failed", userId: null, error: { code: "BAD_REQUEST", message: `${field}: ${message}`, field } };
}

const lineTooLong = () => apiError("BAD_REQUEST", `a line is longer than ${IMPORT_STREAM_MAX_LINE_BYTES} characters`, "line");

/** The body's lines as they arrive, bounded in total and per line. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending = "";
  let total = 0;
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    total += bytes.byteLength;
    if (total > IMPORT_STREAM_MAX_BYTES) throw new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `an import stream may send at most ${IMPORT_STREAM_MAX_BYTES} bytes: send the rest in another request` });
    pending += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      if (newline > IMPORT_STREAM_MAX_LINE_BYTES) throw lineTooLong();
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
    }
    if (pending.length > IMPORT_STREAM_MAX_LINE_BYTES) throw lineTooLong();
  }
  pending += decoder.decode();
  if (pending.length > IMPORT_STREAM_MAX_LINE_BYTES) throw lineTooLong();
  if (pending.trim() !== "") yield pending;
}
