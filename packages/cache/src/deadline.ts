/**
 * Settles with `promise`, or rejects with `onTimeout()`'s error after `ms`. The work itself is not
 * cancelled: callers use it where a client's own timeout may not fire (a shared ioredis client,
 * a fetch on Workers whose originating request was cancelled).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
