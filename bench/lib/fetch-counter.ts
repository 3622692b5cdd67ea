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
    });
    return consumer;
  };
}

/** Records handed to the eachBatch of the consumers of `groupId` in this process so far. */
export function recordsHandedTo(groupId: string): number {
  return handed.get(groupId) ?? 0;
}

export function writeFetchCounts(file: string): void {
  writeFileSync(file, JSON.stringify(Object.fromEntries(handed)));
}
