/**
 * Group commit for writes that arrive together: `write(items)` runs for one item at once when
 * nothing is being written, and for everything that arrived meanwhile when the write under way
 * ends. N outcomes finishing together cost one statement instead of N, and an item that arrives
 * alone never waits for company. Each caller's promise settles with its own group's write.
 *
 * @example
 * const recordOne = groupWhileBusy((outcomes) => recordMany(db, outcomes));
 * await recordOne(outcome);
 */
export function groupWhileBusy<T>(write: (items: T[]) => Promise<void>, maxGroup = 256): (item: T) => Promise<void> {
  let waiting: { item: T; settle: (error?: unknown) => void }[] = [];
  let busy = false;

  const writeNext = () => {
    if (busy || waiting.length === 0) return;
    const group = waiting.slice(0, maxGroup);
    waiting = waiting.slice(group.length);
    busy = true;
    Promise.resolve()
      .then(() => write(group.map((w) => w.item)))
      .then(
        () => group.forEach((w) => w.settle()),
        (error: unknown) => group.forEach((w) => w.settle(error ?? new Error("group write failed"))),
      )
      .finally(() => {
        busy = false;
        writeNext();
      });
  };

  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      writeNext();
    });
}
