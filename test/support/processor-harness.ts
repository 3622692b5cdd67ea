import type { Redis } from 'ioredis';
import type { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { FunctionCaller } from '../../shared/redis/function-caller.js';
import { RedisPartitionStore, RedisPopulationStore } from '../../shared/redis/partition-store.js';
import { PartitionProcessor } from '../../shared/runtime/partition-processor.js';
import { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import type { OutboxEntry, PartitionStore } from '../../shared/runtime/state-store.js';
import type { OutputEvent } from '../../shared/runtime/worker-definition.js';

// A value-segmentation partition processor on real Redis without Kafka: tests drive it with
// records they build themselves (batches, interleavings, crashes and claims of their choosing).

type ValueSegmentationWorker = ReturnType<typeof createValueSegmentationWorker>;

/** Encodes outputs as the runtime does, minus the topic prefix and headers. */
export function encodeSegmentChanged(output: OutputEvent): OutboxEntry {
  const schema = output.topic === 'erasures-completed' ? 'ErasureCompleted' : 'SegmentChanged';
  return {
    topic: output.topic,
    key: Buffer.from(output.key).toString('base64'),
    value: codecFor(schema)
      .encode(output.value as never)
      .toString('base64'),
    headers: {},
    decisionKind: output.decisionKind,
  };
}

export function valueSegmentationProcessor(args: {
  worker: ValueSegmentationWorker;
  redis: Redis;
  functions: FunctionCaller;
  keyPrefix: string;
  partition: number;
  partitionCount: number;
  store?: PartitionStore;
  maxBatchRecords?: number;
  timerLoadLimit?: number;
}): PartitionProcessor<unknown, unknown, unknown> {
  const { worker, redis, functions, keyPrefix } = args;
  const purchaseCodec = codecFor('Purchase');
  // The tables the worker reads besides purchases: erasure requests, and profiles that re-admit.
  const table = (topic: string, schema: string) => {
    const codec = codecFor(schema);
    return [
      topic,
      {
        definition: worker.inputs.find((i) => i.topic === topic)!,
        decode: (value: Buffer) => codec.decode(value),
        logicalTopic: topic,
        deadLetterTopic: `${topic}.dlq`,
      },
    ] as const;
  };
  return new PartitionProcessor({
    worker,
    store:
      args.store ??
      new RedisPartitionStore(redis, functions, keyPrefix, worker.name, args.partition, 'none', 5000),
    population: new RedisPopulationStore(redis, functions, keyPrefix, worker.name),
    partitionCount: args.partitionCount,
    consumerGroup: 'processor-harness',
    inputs: new Map([
      [
        'purchases',
        {
          definition: worker.inputs[0]!,
          decode: (value: Buffer) => purchaseCodec.decode(value),
          logicalTopic: 'purchases',
          deadLetterTopic: 'purchases.dlq',
        },
      ],
      table('customer-erasures', 'CustomerErasureRequested'),
      table('customer-profiles', 'CustomerProfile'),
    ]),
    encodeOutput: encodeSegmentChanged,
    limits: {
      maxRecordBytes: 1 << 20,
      futureToleranceMs: 86_400_000,
      maxBatchRecords: args.maxBatchRecords ?? 97,
      timerLoadLimit: args.timerLoadLimit ?? 1000,
    },
    events: new RuntimeEvents(),
    wallClock: () => 0,
  }) as unknown as PartitionProcessor<unknown, unknown, unknown>;
}
