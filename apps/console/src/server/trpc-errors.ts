/**
 * Errors the console server answers itself on `/console/trpc/*`, in tRPC's own response shape so
 * the SPA's tRPC client reads them like any API error (code, message, `data.reason`).
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import type { ConsoleErrorData } from "../shared/protocol.ts";

export interface ConsoleTrpcError {
  code: TRPC_ERROR_CODE_KEY;
  message: string;
  reason: NonNullable<ConsoleErrorData["reason"]>;
}

/** The procedure names of a tRPC HTTP path (`users.list,users.get` for a batch). */
export function procedurePaths(path: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return [];
  }
  return decoded.split(",").filter((p) => p.length > 0);
}

export function errorShape(error: ConsoleTrpcError, path: string) {
  const httpStatus = getHTTPStatusCodeFromError(new TRPCError({ code: error.code }));
  const data: ConsoleErrorData & { path: string } = { code: error.code, httpStatus, path, reason: error.reason };
  return { error: { message: error.message, code: TRPC_ERROR_CODES_BY_KEY[error.code], data } };
}

/** One error per procedure of the call, batched or not, as tRPC answers. */
export function trpcErrorResponse(error: ConsoleTrpcError, paths: string[], batched: boolean): Response {
  const shapes = (paths.length > 0 ? paths : [""]).map((p) => errorShape(error, p));
  const status = shapes[0]!.error.data.httpStatus;
  return Response.json(batched ? shapes : shapes[0], { status, headers: { "cache-control": "no-store" } });
}
