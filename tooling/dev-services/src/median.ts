/** For the benches, which repeat each measurement in rounds on a noisy machine and print the middle one. */

/** The item whose `key` is the median (the lower middle for an even count). `items` must not be empty. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  if (items.length === 0) throw new TypeError("medianBy: no items");
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor((items.length - 1) / 2)]!;
}
