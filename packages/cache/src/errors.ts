/**
 * The cache could not answer in time (timeout, refused connection, lost connection, server error).
 * A store reader on a request path treats it as "ask the source of truth instead", never as
 * "absent"; a limiter caller refuses the attempt (fail closed) and answers it as an outage.
 */
export class CacheUnavailableError extends Error {
  override readonly name = "CacheUnavailableError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Wraps whatever a client threw, keeping it as `cause`. */
export function toCacheUnavailable(operation: string, cause: unknown): CacheUnavailableError {
  if (cause instanceof CacheUnavailableError) return cause;
  const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new CacheUnavailableError(`Cache ${operation} failed (${detail})`, { cause });
}
