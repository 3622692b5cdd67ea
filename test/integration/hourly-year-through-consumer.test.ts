import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';

const HOUR_MS = 3_600_000;

import { DAY_MS, valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { parseRuntimeConfig } from '../../shared/config/runtime-config.js';
import { createLogger } from '../../shared/observability/logger.js';
import { runWorker } from '../../shared/runtime/run-worker.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { createTestTopics, produceRecords, readWholeTopic, waitFor } from '../support/kafka-test-client.js';
import { appliedToEnd, compareWithOracle } from '../support/value-segmentation-check.js';

// A year of purchases with a population refresh every hour of stream time (8,760 boundaries,
// the demo's setting) over 12 partitions, through the real consumer: the partitions advance in
// lock-step at every boundary, and a partition that waits for a view must keep what it fetched.
// Each record is fetched about once (read amplification ≤ 1.1, counted from the runtime's own
// recordsFetched events), and the result equals the independent oracle. Counts, not timings.

const PARTITIONS = 12;
const EVENTS = 12_000;
const settings = valueSegmentationSettings({
  windowsDays: [30, 90],
  rankingWindowDays: 90,
  refreshPeriodMs: HOUR_MS,
  publishDelayMs: HOUR_MS,
  top2Share: 0.02,
});

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

describe('a year with hourly refresh through the real consumer', () => {
  it('reads each record about once and equals the oracle', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const prefix = `${uniqueName('hourly')}.`;
    const keyPrefix = uniqueName('hourly');
    const purchasesTopic = prefix + topicCatalogue.purchases.name;
    await createTestTopics(
      kafkaBrokers,
      [
        purchasesTopic,
        prefix + deadLetterTopicOf(topicCatalogue.purchases.name),
        prefix + topicCatalogue.segmentChanges.name,
      ],
      PARTITIONS,
    );
    const records = [
      ...generatePurchaseStream({
        seed: 7,
        customers: 1_500,
        events: EVENTS,
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

    const config = parseRuntimeConfig({
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KEY_PREFIX: keyPrefix,
      CONSUMER_GROUP_PREFIX: uniqueName('hourly'),
      TOPIC_PARTITIONS: String(PARTITIONS),
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const worker = await runWorker({
      definition: createValueSegmentationWorker(settings),
      config,
      logger: createLogger({ level: 'warn', name: 'hourly' }),
      handleSignals: false,
    });
    let fetched = 0;
    let waits = 0;
    worker.events.on('recordsFetched', (e) => {
      fetched += e.records;
    });
    worker.events.on('populationWait', () => {
      waits += 1;
    });
    try {
      await waitFor(
        'Redis applied every partition to its end',
        () => appliedToEnd(redis, keyPrefix, purchasesTopic, kafkaBrokers),
        {
          timeoutMs: 400_000,
          intervalMs: 500,
        },
      );
    } finally {
      await worker.stop();
    }
    const amplification = fetched / records.length;
    process.stdout.write(
      `hourly year: ${records.length} records, fetched ${fetched} (read amplification ${amplification.toFixed(3)}), ${waits} population waits\n`,
    );
    expect(amplification).toBeLessThanOrEqual(1.1);
    const comparison = await compareWithOracle({
      settings,
      purchases: await readWholeTopic(kafkaBrokers, purchasesTopic),
      segmentChanges: await readWholeTopic(kafkaBrokers, prefix + topicCatalogue.segmentChanges.name),
      deadLetters: await readWholeTopic(
        kafkaBrokers,
        prefix + deadLetterTopicOf(topicCatalogue.purchases.name),
      ),
      redis,
      keyPrefix,
      topicPrefix: prefix,
    });
    expect(comparison.outputs).toBeGreaterThan(1000);
    expect(comparison.oracle.views.length).toBeGreaterThan(5000);
  });
});
