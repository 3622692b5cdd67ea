import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { DAY_MS, type ValueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { parseRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import type { RedisClient } from '../../shared/redis/connection.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { testEndpoints, uniqueName } from './endpoints.js';
import { createTestTopics, produceRecords, readWholeTopic, waitFor } from './kafka-test-client.js';
import { appliedToEnd, compareWithOracle, type RunComparison } from './value-segmentation-check.js';

// A year of simulated purchases in topics of their own, for tests that run value-segmentation
// workers through the real consumer and compare what they leave with the oracle.

export interface PurchaseYear {
  readonly records: number;
  /** The runtime configuration of a worker on these topics and keys (`env` added or overriding). */
  config(env?: Readonly<Record<string, string>>): RuntimeConfig;
  /** Waits until Redis applied every partition of the purchases topic to its end. */
  waitAppliedToEnd(redis: RedisClient, timeoutMs: number): Promise<void>;
  /** The worker's outputs and state against the oracle of the same records. */
  compareWithOracle(settings: ValueSegmentationSettings, redis: RedisClient): Promise<RunComparison>;
}

export async function producePurchaseYear(
  name: string,
  stream: {
    readonly seed: number;
    readonly customers: number;
    readonly events: number;
    readonly partitions: number;
  },
): Promise<PurchaseYear> {
  const { kafkaBrokers, redisUrl } = testEndpoints();
  const prefix = `${uniqueName(name)}.`;
  const keyPrefix = uniqueName(name);
  const purchasesTopic = prefix + topicCatalogue.purchases.name;
  const deadLetters = prefix + deadLetterTopicOf(topicCatalogue.purchases.name);
  const segmentChanges = prefix + topicCatalogue.segmentChanges.name;
  await createTestTopics(kafkaBrokers, [purchasesTopic, deadLetters, segmentChanges], stream.partitions);
  const records = [
    ...generatePurchaseStream({
      seed: stream.seed,
      customers: stream.customers,
      events: stream.events,
      spanMs: 365 * DAY_MS,
      maxLatenessMs: 2 * DAY_MS,
      lateShare: 0.01,
    }),
  ];
  await produceRecords(
    kafkaBrokers,
    purchasesTopic,
    records.map((r) => ({ key: r.key, value: r.value })),
  );
  const groupPrefix = uniqueName(name);
  return {
    records: records.length,
    config: (env = {}) =>
      parseRuntimeConfig({
        KAFKA_BROKERS: kafkaBrokers,
        REDIS_URL: redisUrl,
        TOPIC_PREFIX: prefix,
        KEY_PREFIX: keyPrefix,
        CONSUMER_GROUP_PREFIX: groupPrefix,
        TOPIC_PARTITIONS: String(stream.partitions),
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...env,
      }),
    waitAppliedToEnd: async (redis, timeoutMs) => {
      await waitFor(
        'Redis applied every partition to its end',
        () => appliedToEnd(redis, keyPrefix, purchasesTopic, kafkaBrokers),
        { timeoutMs, intervalMs: 500 },
      );
    },
    compareWithOracle: async (settings, redis) =>
      compareWithOracle({
        settings,
        purchases: await readWholeTopic(kafkaBrokers, purchasesTopic),
        segmentChanges: await readWholeTopic(kafkaBrokers, segmentChanges),
        deadLetters: await readWholeTopic(kafkaBrokers, deadLetters),
        redis,
        keyPrefix,
        topicPrefix: prefix,
      }),
  };
}
