// Checks a finished run of any worker against the runtime's executable spec
// (test/oracle/in-memory-driver.ts): the topic logs as Kafka holds them turned into driver
// records, outputs deduplicated by eventId (a repeat must carry the same content), dead letters
// by original position, and the final Redis state of every partition compared with the spec's.

import { expect } from 'vitest';
import { codecFor } from '../../shared/avro/index.js';
import type { RedisClient } from '../../shared/redis/connection.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import type { DriverRecord, PartitionStore } from '../oracle/in-memory-driver.js';
import type { TopicRecord } from './kafka-test-client.js';
import { readIndexAndTimers } from './partition-in-redis.js';

/** A topic's records of one partition as driver records; bytes that do not decode become null. */
export function driverRecordsOf<E>(
  records: readonly TopicRecord[],
  topic: string,
  schema: string,
): DriverRecord<E>[] {
  const codec = codecFor(schema);
  return records.map((r) => {
    let value: E | null = null;
    try {
      value = codec.decode(r.value ?? Buffer.alloc(0)) as unknown as E;
    } catch {
      value = null;
    }
    return { offset: r.offset, topic, value };
  });
}

export interface UniqueOutputs {
  readonly byId: Map<string, Record<string, unknown>>;
  /** Records repeating an eventId already seen. */
  readonly duplicates: number;
}

/** Output records by eventId; a repeated eventId must repeat the content exactly. */
export function uniqueOutputs(records: readonly TopicRecord[], schema: string): UniqueOutputs {
  const codec = codecFor(schema);
  const byId = new Map<string, Record<string, unknown>>();
  let duplicates = 0;
  for (const record of records) {
    const event = codec.decode(record.value!) as unknown as Record<string, unknown>;
    const id = String(event.eventId);
    const seen = byId.get(id);
    if (seen) {
      duplicates += 1;
      expect(event, `repeated output ${id} carries the same content`).toEqual(seen);
    }
    byId.set(id, event);
  }
  return { byId, duplicates };
}

/** Dead-letter records of one or more dead-letter topics by original `topic|partition/offset`. */
export function deadLetterPositions(records: readonly TopicRecord[]): Set<string> {
  return new Set(
    records.map(
      (r) =>
        `${r.headers['vs.dlt.original.topic']}|${r.headers['vs.dlt.original.partition']}/${r.headers['vs.dlt.original.offset']}`,
    ),
  );
}

const sortedEntries = <V>(map: Map<string, V>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const withoutZeros = (map: Map<string, number>) => new Map([...map].filter(([, v]) => v !== 0));

/**
 * Every partition's customer states (decoded), population index, counters (zeros aside) and
 * timers in Redis equal the spec's after the same records.
 */
export async function expectRedisStateAsSpec<E, S, G>(
  redis: RedisClient,
  keyPrefix: string,
  worker: WorkerDefinition<E, S, G>,
  spec: ReadonlyArray<PartitionStore<G>>,
): Promise<{ customers: number }> {
  let customers = 0;
  for (let p = 0; p < spec.length; p++) {
    const keys = partitionKeys(keyPrefix, worker.name, p);
    const store = spec[p]!;
    const [states, { index, timers }, counters] = await Promise.all([
      redis.hgetall(keys.customers),
      readIndexAndTimers(redis, keys),
      redis.hgetall(keys.counters),
    ]);
    const decoded = new Map(Object.entries(states).map(([id, encoded]) => [id, worker.decodeState(encoded)]));
    const expectedStates = new Map(
      [...store.states].map(([id, encoded]) => [id, worker.decodeState(encoded)]),
    );
    expect(sortedEntries(decoded), `customer states of partition ${p}`).toEqual(
      sortedEntries(expectedStates),
    );
    customers += decoded.size;

    expect(sortedEntries(index), `population index of partition ${p}`).toEqual(sortedEntries(store.index));
    const redisCounters = withoutZeros(new Map(Object.entries(counters).map(([f, v]) => [f, Number(v)])));
    expect(sortedEntries(redisCounters), `counters of partition ${p}`).toEqual(
      sortedEntries(withoutZeros(store.counters)),
    );
    const specTimers = new Map<string, number>();
    for (const [customerId, kinds] of store.timers)
      for (const [kind, dueAt] of kinds) specTimers.set(`${kind}|${customerId}`, dueAt);
    expect(sortedEntries(timers), `timers of partition ${p}`).toEqual(sortedEntries(specTimers));
  }
  return { customers };
}
