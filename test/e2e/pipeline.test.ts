import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { DAY_MS, valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import type { RedisClient } from '../../shared/redis/connection.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { testEndpoints, testRedisClient, testRedisEnv, uniqueName } from '../support/endpoints.js';
import {
  createTestTopics,
  produceRecords,
  readWholeTopic,
  testKafka,
  waitFor,
} from '../support/kafka-test-client.js';
import { committedToEnd, compareWithOracle } from '../support/value-segmentation-check.js';
import { metricSum, startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// The whole pipeline: 100,000+ generated purchases of 10,000+ customers through Kafka into the
// value-segmentation worker (a real process), killed with SIGKILL in the middle and started
// again; the final tiers, the emitted segment changes and the dead letters must equal the
// independent batch computation over the same events as Kafka holds them.

const PARTITIONS = 12;
const settings = valueSegmentationSettings({
  windowsDays: [30, 90, 365],
  rankingWindowDays: 90,
  refreshPeriodMs: 7 * DAY_MS,
  publishDelayMs: 7 * DAY_MS,
  top2Share: 0.02,
});
const workerEnv = (prefix: string, group: string, keyPrefix: string, brokers: string) => ({
  KAFKA_BROKERS: brokers,
  ...testRedisEnv(),
  TOPIC_PREFIX: prefix,
  KEY_PREFIX: keyPrefix,
  CONSUMER_GROUP_PREFIX: group,
  TOPIC_PARTITIONS: String(PARTITIONS),
  VALUE_WINDOWS_DAYS: '30,90,365',
  VALUE_RANKING_WINDOW_DAYS: '90',
  VALUE_REFRESH_PERIOD: '7d',
  VALUE_PUBLISH_DELAY: '7d',
  VALUE_TOP2_SHARE: '0.02',
  LOG_LEVEL: 'info',
  SESSION_TIMEOUT_MS: '10000',
  HEARTBEAT_INTERVAL_MS: '1000',
});

let redis: RedisClient;
const running: WorkerProcess[] = [];
beforeAll(() => {
  redis = testRedisClient();
});
afterAll(async () => {
  for (const w of running) w.kill('SIGKILL');
  await redis.quit();
});

describe('pipeline end to end', () => {
  it('streams 100k+ purchases through Kafka, survives SIGKILL, and equals the oracle', async () => {
    const { kafkaBrokers } = testEndpoints();
    const prefix = `${uniqueName('e2e')}.`;
    const keyPrefix = uniqueName('e2e');
    const group = uniqueName('e2e');
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
        seed: 2026,
        customers: 11_000,
        events: 110_000,
        spanMs: 365 * DAY_MS,
        maxLatenessMs: 5 * DAY_MS,
        lateShare: 0.01,
      }),
    ];
    expect(new Set(records.map((r) => r.key)).size).toBeGreaterThanOrEqual(10_000);
    await produceRecords(
      kafkaBrokers,
      purchasesTopic,
      records.map((r) => ({ key: r.key, value: r.value })),
    );

    const env = workerEnv(prefix, group, keyPrefix, kafkaBrokers);
    const first = await startWorkerProcess('services/value-segmentation/main.ts', env, 'e2e-first');
    running.push(first);
    const appliedBeforeKill = await waitFor(
      'a third of the stream applied',
      async () => {
        const applied = metricSum(await first.metrics().catch(() => ''), 'vs_records_applied_total');
        return applied >= records.length / 3 ? applied : false;
      },
      { timeoutMs: 300_000 },
    );
    first.kill('SIGKILL');
    await first.exited;

    const second = await startWorkerProcess('services/value-segmentation/main.ts', env, 'e2e-second');
    running.push(second);
    const admin = testKafka(kafkaBrokers).admin();
    await admin.connect();
    await waitFor(
      'the worker to commit to the end of the topic',
      () => committedToEnd(admin, `${group}.value-segmentation`, purchasesTopic),
      {
        timeoutMs: 480_000,
        intervalMs: 1000,
      },
    );
    await admin.disconnect();
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

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
    expect(appliedBeforeKill).toBeGreaterThan(0);
    expect(comparison.outputs).toBeGreaterThan(10_000);
    expect(comparison.deadLetters).toBeGreaterThan(100);
    process.stdout.write(
      `e2e: ${records.length} records, ${comparison.outputs} segment changes (${comparison.duplicates} repeated after SIGKILL), ` +
        `${comparison.deadLetters} dead letters, ${comparison.oracle.views.length} threshold views\n`,
    );
  });
});
