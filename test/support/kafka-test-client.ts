import { Kafka, logLevel, type Message } from 'kafkajs';
import { registerCompressionCodecs } from '../../shared/kafka/compression.js';
import { waitForTopicLeaders } from '../../shared/kafka/create-topics.js';
import {
  deadLetterTopicOf,
  type TopicSpec,
  topicCatalogue,
  topicsOfEveryWorker,
} from '../../shared/topics.js';

// Test-side Kafka helpers: produce raw records and read whole topics back, with real kafkajs
// against the real broker (never a mock).

export interface TopicRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
  readonly timestamp: string;
}

export function testKafka(brokers: string): Kafka {
  // Topics a foreign producer wrote with snappy, lz4 or zstd are read too.
  registerCompressionCodecs();
  return new Kafka({ clientId: 'valuestream-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/**
 * Creates the topics, and with them, for each topic set among them (a prefix followed by a
 * catalogue topic), the topics every worker reads or writes (topicsOfEveryWorker: erasures and
 * profiles), so a test's topic set that lists only what it uses still starts any worker.
 */
export async function createTestTopics(
  brokers: string,
  listed: readonly string[],
  partitions: number,
  /** 3 on a three-broker cluster, so that a broker's death moves leaders instead of losing them. */
  replicationFactor = 1,
): Promise<void> {
  const inputs = Object.values(topicCatalogue).map((t) => t.name);
  const prefixes = new Set(
    listed.flatMap((name) => inputs.filter((i) => name.endsWith(i)).map((i) => name.slice(0, -i.length))),
  );
  const names = [
    ...new Set([...listed, ...[...prefixes].flatMap((p) => topicsOfEveryWorker().map((t) => p + t))]),
  ];
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    // waitForLeaders is unreliable against KRaft (kafkajs #1563): wait on metadata instead.
    await admin.createTopics({
      waitForLeaders: false,
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
    });
    await waitForTopicLeaders(admin, names, partitions, 60_000);
  } finally {
    await admin.disconnect();
  }
}

/** What a worker reads and writes: its input topics (each with its dead letters) and its outputs. */
export interface WorkerTopics {
  readonly inputs: readonly TopicSpec[];
  readonly outputs: readonly TopicSpec[];
}

export const RETENTION_TOPICS: WorkerTopics = {
  inputs: [
    topicCatalogue.purchases,
    topicCatalogue.interactions,
    topicCatalogue.customerProfiles,
    topicCatalogue.segmentChanges,
  ],
  outputs: [topicCatalogue.retentionOffers],
};

export const NEXT_BEST_OFFER_TOPICS: WorkerTopics = {
  inputs: [
    topicCatalogue.purchases,
    topicCatalogue.customerProfiles,
    topicCatalogue.segmentChanges,
    topicCatalogue.underConsumption,
  ],
  outputs: [topicCatalogue.nextBestOffers],
};

/** Creates a worker's topics under a topic prefix (with those of every worker: createTestTopics). */
export async function createTopicSet(
  brokers: string,
  prefix: string,
  topics: WorkerTopics,
  partitions: number,
): Promise<void> {
  await createTestTopics(
    brokers,
    [
      ...topics.inputs.flatMap((t) => [prefix + t.name, prefix + deadLetterTopicOf(t.name)]),
      ...topics.outputs.map((t) => prefix + t.name),
    ],
    partitions,
  );
}

export async function produceRecords(
  brokers: string,
  topic: string,
  records: ReadonlyArray<{ key: string | Buffer | null; value: Buffer | null; partition?: number }>,
  batchSize = 2000,
): Promise<void> {
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      const messages: Message[] = records.slice(i, i + batchSize).map((r) => ({
        key: r.key,
        value: r.value,
        ...(r.partition === undefined ? {} : { partition: r.partition }),
      }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Every record of a topic up to the high watermarks at call time, per partition in offset order. */
export async function readWholeTopic(brokers: string, topic: string): Promise<TopicRecord[][]> {
  const kafka = testKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const partitions: TopicRecord[][] = offsets.map(() => []);
  const remaining = new Map(
    offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
  );
  if (remaining.size === 0) return partitions;
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${process.hrtime.bigint()}`,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 300_000);
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const high = remaining.get(batch.partition);
          for (const m of batch.messages) {
            if (high !== undefined && BigInt(m.offset) < high) {
              const headers: Record<string, Buffer> = {};
              for (const [k, v] of Object.entries(m.headers ?? {}))
                if (v !== undefined) headers[k] = Buffer.from(Array.isArray(v) ? v[0]! : v);
              partitions[batch.partition]!.push({
                partition: batch.partition,
                offset: m.offset,
                key: m.key,
                value: m.value,
                headers,
                timestamp: m.timestamp,
              });
            }
          }
          if (high !== undefined && BigInt(batch.lastOffset()) + 1n >= high)
            remaining.delete(batch.partition);
          if (remaining.size === 0) {
            clearTimeout(timeout);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return partitions;
}

/** Polls until `condition` holds (no sleeps of fixed length in tests). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 120_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
