/** postgres.js errors carry the SQLSTATE in `code`; drizzle may wrap them in `cause`. */
function sqlState(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 3 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => sqlState(error) === "23505";

/**
 * SQLSTATE 40P01 (deadlock detected) or 40001 (serialization failure): Postgres rolled the whole
 * transaction back to end a conflict with a concurrent one, so running it again is safe.
 */
export function isTransactionConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state === "40P01" || state === "40001";
}

/** The violated constraint's name, when Postgres reports one. */
export function violatedConstraint(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 3 && e; i++) {
    const name = (e as { constraint_name?: unknown }).constraint_name;
    if (typeof name === "string") return name;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** postgres.js's own codes (and Node's socket codes) for a connection that could not be made or was lost. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/**
 * The database is out of reach or refusing work: a lost or refused connection, or a server-side
 * SQLSTATE of class 08 (connection exception), 53 (insufficient resources, e.g. 53300 too many
 * clients) or 57P01–57P03 (shutting down, starting up).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let e: unknown = error;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (CONNECTION_CODES.has(code)) return true;
      if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** SQLSTATE class 22 (data exception): a value Postgres would not take, such as NUL in text or a number out of range. */
export const isDataException = (error: unknown) => sqlState(error)?.startsWith("22") ?? false;
