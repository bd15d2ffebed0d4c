import { describe, expect, it } from "vitest";
import { groupWhileBusy } from "./group-while-busy.ts";

/** A write that records its groups and finishes only when told to. */
function heldWrite() {
  const groups: number[][] = [];
  const finishers: ((error?: Error) => void)[] = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      groups.push(items);
      finishers.push((error) => (error ? reject(error) : resolve()));
    });
  const finish = async (error?: Error) => {
    finishers.shift()!(error);
    // Let the settled write hand over to the next group.
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { groups, write, finish };
}

describe("groupWhileBusy", () => {
  it("writes a lone item at once, and what arrives during a write as the next group", async () => {
    const held = heldWrite();
    const add = groupWhileBusy(held.write);
    const first = add(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(held.groups).toEqual([[1]]);
    const rest = [add(2), add(3), add(4)];
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(held.groups).toEqual([[1]]);
    await held.finish();
    await expect(first).resolves.toBeUndefined();
    expect(held.groups).toEqual([[1], [2, 3, 4]]);
    await held.finish();
    await expect(Promise.all(rest)).resolves.toEqual([undefined, undefined, undefined]);
  });

  it("fails every item of a failed group, and only those; the next group is still written", async () => {
    const held = heldWrite();
    const add = groupWhileBusy(held.write);
    const first = add(1);
    // Each item's outcome, read as it settles.
    const second = [add(2), add(3)].map((p) => p.then(() => "written", (error: Error) => error.message));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await held.finish();
    await held.finish(new Error("database gone"));
    await expect(first).resolves.toBeUndefined();
    expect(await Promise.all(second)).toEqual(["database gone", "database gone"]);
    const third = add(5);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(held.groups).toEqual([[1], [2, 3], [5]]);
    await held.finish();
    await expect(third).resolves.toBeUndefined();
  });

  it("turns a write that throws before returning a promise into a rejection", async () => {
    const add = groupWhileBusy<number>(() => {
      throw new Error("bad statement");
    });
    await expect(add(1)).rejects.toThrow("bad statement");
  });

  it("caps a group at maxGroup items", async () => {
    const held = heldWrite();
    const add = groupWhileBusy(held.write, 2);
    const all = [add(1), add(2), add(3), add(4), add(5)];
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (let i = 0; i < 3; i++) await held.finish();
    await Promise.all(all);
    expect(held.groups).toEqual([[1], [2, 3], [4, 5]]);
  });
});
