import { type Admin, Kafka, logLevel, Partitioners, type PartitionMetadata, type Producer } from 'kafkajs';
import { codecFor } from '../../shared/avro/index.js';
import { parseEnv } from '../../shared/config/env.js';
import { runtimeEnvSpec } from '../../shared/config/runtime-config.js';
import { createTopics } from '../../shared/kafka/create-topics.js';
import type { RedisClient } from '../../shared/redis/connection.js';
import type { BenchRecord } from './datasets.js';

// The bench's own Kafka work: topics, producing the datasets, the raw consume-and-decode
// baseline, and the end offsets (high watermarks) the workers must reach.

export function benchKafka(brokers: readonly string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
}

export async function createBenchTopics(
  brokers: readonly string[],
  topics: readonly string[],
  partitions: number,
): Promise<void> {
  await createTopics({ brokers, topics, partitions, replicationFactor: 1, clientId: 'valuestream-bench' });
}

const partitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, PartitionMetadata[]>();

/** The partition kafkajs's default (Java-compatible murmur2) partitioner gives a key, as every producer of the product does. */
export function partitionOf(key: string, partitions: number): number {
  let metadata = metadataCache.get(partitions);
  if (!metadata) {
    metadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    metadataCache.set(partitions, metadata);
  }
  return partitioner({ topic: 'bench', partitionMetadata: metadata, message: { key, value: null } });
}

export async function connectProducer(kafka: Kafka): Promise<Producer> {
  // Idempotent with one request in flight: the records of a partition keep their order.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

/** Per partition, the offset of the last record of one send (the records of a send are contiguous). */
export type LastOffsets = Map<number, bigint>;

/** Sends records with explicit partitions (the default partitioner's) and returns each partition's last offset. */
export async function sendChunk(
  producer: Producer,
  topic: string,
  records: readonly BenchRecord[],
  partitions: number,
): Promise<LastOffsets> {
  const counts = new Map<number, number>();
  const messages = records.map((r) => {
    const partition = partitionOf(r.key, partitions);
    counts.set(partition, (counts.get(partition) ?? 0) + 1);
    return { key: r.key, value: r.value, partition };
  });
  const metadata = await producer.send({ topic, acks: -1, messages });
  const last: LastOffsets = new Map();
  for (const m of metadata) {
    const count = counts.get(m.partition) ?? 0;
    if (count > 0 && m.baseOffset !== undefined)
      last.set(m.partition, BigInt(m.baseOffset) + BigInt(count - 1));
  }
  return last;
}

export async function produceAll(
  producer: Producer,
  topic: string,
  records: readonly BenchRecord[],
  partitions: number,
  // About 2,000 records (≈ 450 kB) per partition and request: under the broker's 1 MB batch limit.
  chunk = 2000 * partitions,
): Promise<void> {
  for (let i = 0; i < records.length; i += chunk)
    await sendChunk(producer, topic, records.slice(i, i + chunk), partitions);
}

/** Low and high watermark per partition of each topic (cluster names). */
export type TopicEnds = Map<string, { low: bigint[]; high: bigint[] }>;

export async function topicEnds(admin: Admin, topics: readonly string[]): Promise<TopicEnds> {
  const ends: TopicEnds = new Map();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    const sorted = [...offsets].sort((a, b) => a.partition - b.partition);
    ends.set(topic, {
      low: sorted.map((o) => BigInt(o.low)),
      high: sorted.map((o) => BigInt(o.high)),
    });
  }
  return ends;
}

export function recordsIn(ends: TopicEnds): number {
  let n = 0n;
  for (const { low, high } of ends.values()) for (let p = 0; p < high.length; p++) n += high[p]! - low[p]!;
  return Number(n);
}

export interface RawConsumeResult {
  readonly seconds: number;
  readonly records: number;
  readonly eventsPerSecond: number;
  /** Records that are not valid Avro of their schema (the generated malformed ones). */
  readonly decodeFailures: number;
}

/**
 * Where the raw baseline with Redis keeps its state: per partition a hash of each record key's
 * count (the customer's records so far) and the offset applied, under `keyPrefix` (deleted with
 * the scenario's keys).
 */
export interface RawStore {
  readonly redis: RedisClient;
  readonly keyPrefix: string;
}

/** Counts by record key, per topic and partition: the raw baseline's state, kept in memory. */
type RawCounts = Map<string, Map<string, number>>;

/**
 * The least a consumer that keeps per-customer state in Redis, exactly once, writes per fetched
 * batch: one MULTI/EXEC with one HSET of the new count of each customer of the batch (state kept in
 * memory, as a worker caching its state would) and the partition's offset, awaited before the
 * partition's next batch. Keys of a partition share a hash tag (one slot on a Cluster).
 */
async function storeBatch(
  store: RawStore,
  counts: RawCounts,
  topic: string,
  partition: number,
  keys: ReadonlyArray<Buffer | null>,
  lastOffset: string,
): Promise<void> {
  const base = `${store.keyPrefix}:raw:{${topic}/${partition}}`;
  const known = counts.get(base) ?? new Map<string, number>();
  counts.set(base, known);
  const changed = new Set<string>();
  for (const key of keys) {
    const customer = key === null ? '' : key.toString();
    known.set(customer, (known.get(customer) ?? 0) + 1);
    changed.add(customer);
  }
  const fields: string[] = [];
  for (const customer of changed) fields.push(customer, String(known.get(customer)));
  const replies = await store.redis
    .multi()
    .hset(`${base}:customers`, ...fields)
    .hset(`${base}:offsets`, 'applied', lastOffset)
    .exec();
  const failed = replies?.find(([error]) => error !== null);
  if (replies === null || failed)
    throw new Error(`raw store: ${failed?.[0]?.message ?? 'transaction aborted'}`);
}

/**
 * The ceiling: a plain kafkajs consumer group (1 MiB per partition, kafkajs's default; no commits) that
 * fetches every input topic from the start and Avro-decodes every record, timed from its first
 * record (as a worker is) to the last record decoded. With `store`, every batch is also written to
 * Redis (storeBatch) before the partition's next one: the raw speed of the same Kafka and Redis.
 */
export async function rawConsumeAndDecode(
  kafka: Kafka,
  groupId: string,
  topics: ReadonlyArray<{ readonly topic: string; readonly schema: string }>,
  total: number,
  timeoutMs: number,
  store?: RawStore,
): Promise<RawConsumeResult> {
  const codecs = new Map(topics.map((t) => [t.topic, codecFor(t.schema)]));
  const counts: RawCounts = new Map();
  // The workers' fetch wait (FETCH_MAX_WAIT_MS passes through to them), parsed as they parse it.
  const { FETCH_MAX_WAIT_MS } = parseEnv(
    { FETCH_MAX_WAIT_MS: runtimeEnvSpec.FETCH_MAX_WAIT_MS },
    process.env,
  );
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    maxBytesPerPartition: 1_048_576,
  });
  let consumed = 0;
  let decodeFailures = 0;
  // From the first record on, as the worker's clock (connecting and joining are not consuming).
  let started: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: topics.map((t) => t.topic), fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`raw consume: ${consumed} of ${total} records after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (started === null && batch.messages.length > 0) started = performance.now();
            const codec = codecs.get(batch.topic)!;
            for (const m of batch.messages) {
              try {
                if (m.value === null) throw new Error('tombstone');
                codec.decode(m.value);
              } catch {
                decodeFailures += 1;
              }
            }
            if (store && batch.messages.length > 0)
              await storeBatch(
                store,
                counts,
                batch.topic,
                batch.partition,
                batch.messages.map((m) => m.key),
                batch.lastOffset(),
              ).catch(reject);
            consumed += batch.messages.length;
            if (consumed >= total) resolve();
          },
        })
        .catch(reject);
    });
    const seconds = (performance.now() - (started ?? performance.now())) / 1000;
    return { seconds, records: consumed, eventsPerSecond: consumed / seconds, decodeFailures };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
