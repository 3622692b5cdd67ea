import { writeFileSync } from 'node:fs';
import { type ConsumerConfig, Kafka } from 'kafkajs';

// Records Kafka handed to a consumer group's eachBatch, counted from kafkajs's own
// instrumentation (consumer.events.START_BATCH_PROCESS, batchSize = the batch's records): an
// independent cross-check of the runtime's vs_records_consumed_total, which only counts what the
// runtime chooses to report. Installed by patching Kafka.prototype.consumer, so it sees the
// consumers the runtime creates without any change to it. In-process: installFetchCounter();
// child processes: node --import bench/lib/fetch-counter-preload.ts (writes the counts to
// BENCH_FETCH_COUNT_FILE when the process exits).

const handed = new Map<string, number>();
/** Wall-clock time (ms since the epoch) of the first record handed to each group in this process. */
const firstHanded = new Map<string, number>();
let installed = false;

export function installFetchCounter(): void {
  if (installed) return;
  installed = true;
  const original = Kafka.prototype.consumer;
  Kafka.prototype.consumer = function counted(this: Kafka, config: ConsumerConfig) {
    const consumer = original.call(this, config);
    const group = config.groupId;
    consumer.on(consumer.events.START_BATCH_PROCESS, (event) => {
      handed.set(group, (handed.get(group) ?? 0) + event.payload.batchSize);
      if (event.payload.batchSize > 0 && !firstHanded.has(group)) firstHanded.set(group, epochNow());
    });
    return consumer;
  };
}

/** Records handed to the eachBatch of the consumers of `groupId` in this process so far. */
export function recordsHandedTo(groupId: string): number {
  return handed.get(groupId) ?? 0;
}

/** When kafkajs handed the first record to `groupId` in this process (ms since the epoch), or null. */
export function firstRecordHandedTo(groupId: string): number | null {
  return firstHanded.get(groupId) ?? null;
}

/** Milliseconds since the epoch, comparable across processes (performance.now() is not). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** What a worker process leaves for the bench in BENCH_FETCH_COUNT_FILE. */
export interface FetchCounts {
  readonly handed: Record<string, number>;
  readonly firstHandedAt: Record<string, number>;
}

export function writeFetchCounts(file: string): void {
  const counts: FetchCounts = {
    handed: Object.fromEntries(handed),
    firstHandedAt: Object.fromEntries(firstHanded),
  };
  writeFileSync(file, JSON.stringify(counts));
}
