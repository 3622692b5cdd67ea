import type { RedisClient } from '../../shared/redis/connection.js';
import { partitionKeys } from '../../shared/redis/keys.js';

// Where a worker is, as Redis says: the partition meta hash (shared/redis/keys.ts) holds, per
// logical input topic, `offset:<topic>` = the highest offset applied or dead-lettered. A record
// at offset o is applied once that field is >= o, so a partition is done when it is >= its high
// watermark - 1. Read by the bench on its own connection (not counted as the worker's).

/** Per logical input topic: low and high watermark of each partition. */
export type Targets = ReadonlyMap<
  string,
  { readonly low: readonly bigint[]; readonly high: readonly bigint[] }
>;
/** Per logical input topic: Redis's applied offset of each partition (null: nothing applied yet). */
export type Applied = ReadonlyMap<string, ReadonlyArray<bigint | null>>;

export interface Progress {
  readonly done: boolean;
  readonly appliedRecords: number;
  readonly totalRecords: number;
  readonly behind: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly applied: bigint | null;
    readonly end: bigint;
  }>;
}

export function progressOf(targets: Targets, applied: Applied): Progress {
  let appliedRecords = 0n;
  let totalRecords = 0n;
  const behind: Array<{ topic: string; partition: number; applied: bigint | null; end: bigint }> = [];
  for (const [topic, { low, high }] of targets) {
    for (let p = 0; p < high.length; p++) {
      const lo = low[p] ?? 0n;
      const end = high[p]!;
      if (end <= lo) continue;
      totalRecords += end - lo;
      const at = applied.get(topic)?.[p] ?? null;
      const upTo = at === null ? lo : at + 1n < end ? at + 1n : end;
      if (upTo > lo) appliedRecords += upTo - lo;
      if (at === null || at < end - 1n) behind.push({ topic, partition: p, applied: at, end });
    }
  }
  return {
    done: behind.length === 0,
    appliedRecords: Number(appliedRecords),
    totalRecords: Number(totalRecords),
    behind,
  };
}

/** "applied 7,412 of 20,000 records (37.1 %); behind: purchases/3 at 1,204 of 1,699, ..." */
export function describeProgress(progress: Progress, limit = 6): string {
  const share = progress.totalRecords === 0 ? 100 : (100 * progress.appliedRecords) / progress.totalRecords;
  const fmt = (n: bigint | number) => Number(n).toLocaleString('en-US');
  const behind = progress.behind
    .slice(0, limit)
    .map(
      (b) =>
        `${b.topic}/${b.partition} at ${b.applied === null ? 'nothing' : `offset ${fmt(b.applied)}`} of end ${fmt(b.end)}`,
    );
  const more = progress.behind.length > limit ? `, and ${progress.behind.length - limit} more` : '';
  return (
    `applied ${fmt(progress.appliedRecords)} of ${fmt(progress.totalRecords)} records (${share.toFixed(1)} %)` +
    (behind.length > 0 ? `; partitions behind: ${behind.join(', ')}${more}` : '')
  );
}

export class AppliedOffsetReader {
  private readonly metaKeys: string[];
  private readonly fields: string[];

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    worker: string,
    partitions: number,
    private readonly topics: readonly string[],
  ) {
    this.metaKeys = Array.from({ length: partitions }, (_, p) => partitionKeys(keyPrefix, worker, p).meta);
    this.fields = topics.map((t) => `offset:${t}`);
  }

  /** One HMGET per partition, all in flight together (one slot each: no cross-slot pipeline on a Cluster). */
  async read(): Promise<Applied> {
    const replies = await Promise.all(this.metaKeys.map((key) => this.redis.hmget(key, ...this.fields)));
    const applied = new Map<string, Array<bigint | null>>(this.topics.map((t) => [t, []]));
    replies.forEach((values, p) => {
      values.forEach((value, i) => {
        applied.get(this.topics[i]!)![p] = value === null ? null : BigInt(value);
      });
    });
    return applied;
  }
}
