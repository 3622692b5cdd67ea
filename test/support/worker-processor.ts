import type { Redis } from 'ioredis';
import { codecFor } from '../../shared/avro/index.js';
import type { FunctionCaller } from '../../shared/redis/function-caller.js';
import { RedisPartitionStore, RedisPopulationStore } from '../../shared/redis/partition-store.js';
import { PartitionProcessor, type ProcessorInput } from '../../shared/runtime/partition-processor.js';
import type { RawRecord } from '../../shared/runtime/raw-record.js';
import { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import type { OutboxEntry } from '../../shared/runtime/state-store.js';
import type { OutputEvent, WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';

// Any worker's partition processor on real Redis without Kafka, wired as run-worker.ts wires it
// (every input of the worker, outputs Avro-encoded by the catalogue's schema), with topic names
// as in the catalogue: tests feed it records they build themselves, one topic per call as
// Kafka's batches come.

const schemaOfTopic = new Map<string, string>(
  Object.values(topicCatalogue).flatMap((t) => (t.schema === null ? [] : [[t.name, t.schema] as const])),
);

export function schemaOf(topic: string): string {
  const schema = schemaOfTopic.get(topic);
  if (!schema) throw new Error(`topic ${topic} is not in the topic catalogue`);
  return schema;
}

function encodeOutput(output: OutputEvent): OutboxEntry {
  return {
    topic: output.topic,
    key: Buffer.from(output.key).toString('base64'),
    value: codecFor(schemaOf(output.topic)).encode(output.value).toString('base64'),
    headers: {},
    decisionKind: output.decisionKind,
  };
}

export function workerProcessor<E, S, G>(args: {
  worker: WorkerDefinition<E, S, G>;
  redis: Redis;
  functions: FunctionCaller;
  keyPrefix: string;
  partition: number;
  partitionCount: number;
  maxBatchRecords: number;
}): PartitionProcessor<E, S, G> {
  const { worker, redis, functions, keyPrefix } = args;
  const inputs = new Map<string, ProcessorInput<E>>();
  for (const input of worker.inputs) {
    const codec = codecFor(input.schema);
    inputs.set(input.topic, {
      definition: input,
      decode: (value) => codec.decode(value),
      logicalTopic: input.topic,
      deadLetterTopic: deadLetterTopicOf(input.topic),
    });
  }
  return new PartitionProcessor<E, S, G>({
    worker,
    store: new RedisPartitionStore(redis, functions, keyPrefix, worker.name, args.partition, 'none', 5000),
    population: worker.population ? new RedisPopulationStore(redis, functions, keyPrefix, worker.name) : null,
    partitionCount: args.partitionCount,
    consumerGroup: 'worker-processor',
    inputs,
    encodeOutput,
    limits: {
      maxRecordBytes: 1 << 20,
      futureToleranceMs: 86_400_000,
      maxBatchRecords: args.maxBatchRecords,
      timerLoadLimit: 1000,
    },
    events: new RuntimeEvents(),
    wallClock: () => 0,
  });
}

/** An input record as Kafka would hand it over: keyed by customer, timestamped at its event time. */
export function rawRecordOf(
  topic: string,
  partition: number,
  offset: string,
  event: { customerId: string; occurredAt: number },
): RawRecord {
  return {
    topic,
    logicalTopic: topic,
    partition,
    offset,
    key: Buffer.from(event.customerId),
    value: codecFor(schemaOf(topic)).encode(event as never),
    headers: {},
    timestamp: String(event.occurredAt),
  };
}

/** An outbox entry's output as its consumer reads it: topic, key, decision kind, decoded value. */
export function decodedOutbox(entry: OutboxEntry): {
  topic: string;
  key: string;
  decisionKind: string;
  value: Record<string, unknown>;
} {
  return {
    topic: entry.topic,
    key: Buffer.from(entry.key!, 'base64').toString('utf8'),
    decisionKind: entry.decisionKind ?? '',
    value: codecFor(schemaOf(entry.topic)).decode(Buffer.from(entry.value!, 'base64')) as unknown as Record<
      string,
      unknown
    >,
  };
}
