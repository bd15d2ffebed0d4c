/** Pure helpers for the cluster run's report. */

/** The p-th percentile (nearest rank) of `values`; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/**
 * What the processes' retry workers delivered, from their log records ("cache outbox delivered",
 * with `outboxIds`): how many rows each process delivered, and the ids more than one delivered.
 */
export function summariseOutbox(processes: { name: string; records: Record<string, unknown>[] }[]) {
  const deliveredBy = new Map<number, string[]>();
  const perProcess: Record<string, number> = {};
  for (const { name, records } of processes) {
    perProcess[name] = 0;
    for (const record of records) {
      if (record.msg !== "cache outbox delivered" || !Array.isArray(record.outboxIds)) continue;
      for (const id of record.outboxIds as number[]) {
        deliveredBy.set(id, [...(deliveredBy.get(id) ?? []), name]);
        perProcess[name]!++;
      }
    }
  }
  const duplicates = [...deliveredBy].filter(([, names]) => names.length > 1).map(([id]) => id);
  return { delivered: deliveredBy.size, perProcess, duplicates };
}
