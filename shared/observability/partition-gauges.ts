import type { Gauge } from 'prom-client';

type Labels = Record<string, string>;

/** A gauge with a `partition` label whose series this member can drop when partitions move. */
export interface PartitionGauge {
  set(partition: number, labels: Labels, value: number): void;
}

/**
 * Per-partition gauges of one group member. After a rebalance the member keeps only the series
 * of the partitions it was given; the new owner reports the others.
 */
export class PartitionGauges {
  private readonly series: Array<{ gauge: Gauge; seen: Map<string, { partition: number; labels: Labels }> }> =
    [];

  add(gauge: Gauge): PartitionGauge {
    const seen = new Map<string, { partition: number; labels: Labels }>();
    this.series.push({ gauge, seen });
    return {
      set: (partition, labels, value) => {
        const all = { ...labels, partition: String(partition) };
        seen.set(JSON.stringify(all), { partition, labels: all });
        gauge.set(all, value);
      },
    };
  }

  /** Drops every series of a partition this member no longer owns. */
  drop(partition: number): void {
    for (const { gauge, seen } of this.series) {
      for (const [key, entry] of seen) {
        if (entry.partition !== partition) continue;
        gauge.remove(entry.labels);
        seen.delete(key);
      }
    }
  }

  keepOnly(partitions: readonly number[]): void {
    const kept = new Set(partitions);
    for (const { gauge, seen } of this.series) {
      for (const [key, { partition, labels }] of seen) {
        if (kept.has(partition)) continue;
        gauge.remove(labels);
        seen.delete(key);
      }
    }
  }
}
