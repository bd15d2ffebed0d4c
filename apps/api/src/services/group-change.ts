/** Adding and removing group names, for a user's default groups and a session's access groups alike. */
export interface GroupChange {
  add?: string[];
  remove?: string[];
}

/** `groups` with `add` appended (each once) and `remove` taken out, in the order they came. */
export function applyGroupChange(groups: string[], change: GroupChange): string[] {
  const next = new Set(groups);
  for (const g of change.add ?? []) next.add(g);
  for (const g of change.remove ?? []) next.delete(g);
  return [...next];
}
