import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import type { PurchaseLike } from '../../services/value-segmentation/purchase-value.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { parseRuntimeConfig } from '../../shared/config/runtime-config.js';
import { createLogger } from '../../shared/observability/logger.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { runWorker } from '../../shared/runtime/run-worker.js';
import { produceRecords, readWholeTopic, type TopicRecord, waitFor } from '../support/kafka-test-client.js';
import {
  compareScenarioWithOracle,
  createScenario,
  deleteKeys,
  killWorker,
  PARTITIONS,
  type Scenario,
  scenarioSettings,
  scenarioStream,
  startScenarioWorker,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { appliedToEnd } from '../support/value-segmentation-check.js';
import type { WorkerProcess } from '../support/worker-process.js';

// Population views must never stop the stream (issue 10): a partition with no record at all
// contributes an empty snapshot, idle advance never turns history still in the topic into late
// events, and a decision Redis would refuse is dead-lettered instead of crash-looping the worker.
// Each of these failed before the runtime kept fetched records and advanced only caught-up
// partitions: views never formed, history was dead-lettered as LATE_EVENT, the worker exited.

let redis: Redis;
const workers: WorkerProcess[] = [];
const scenarios: Scenario[] = [];
beforeAll(() => {
  redis = new Redis(scenarioRedisUrl());
});
afterAll(async () => {
  for (const w of workers) await killWorker(w);
  for (const s of scenarios) await deleteKeys(redis, s.keyPrefix);
  await redis.quit();
});

function scenarioRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:16379';
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}

function reasonOf(record: TopicRecord): string | undefined {
  return record.headers['vs.dlt.reason']?.toString();
}

describe('population views never stop the stream', () => {
  it('forms views while one partition has never had a record (it contributes an empty snapshot)', async () => {
    const scenario = await createScenario('emptypart');
    scenarios.push(scenario);
    const records = [...generatePurchaseStream({ ...scenarioStream, seed: 61, malformedShare: 0 })];
    // Every customer on partitions 0..10: partition 11 stays empty for good.
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      records.map((r) => ({ key: r.key, value: r.value, partition: hash(r.key) % (PARTITIONS - 1) })),
    );
    const worker = await startScenarioWorker(scenario, 'empty-partition');
    workers.push(worker);
    await waitFor(
      'every partition applied to its end',
      () => appliedToEnd(redis, scenario.keyPrefix, scenario.purchases, scenario.brokers),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    // Outputs are produced after Redis applied them, and committed after that.
    await waitCommittedToEnd(scenario);
    const changes = await readWholeTopic(scenario.brokers, scenario.segmentChanges);
    const refreshes = changes.flat().filter((c) => c.value?.toString('latin1').includes('threshold-refresh'));
    expect(refreshes.length, 'threshold refreshes (views formed)').toBeGreaterThan(0);
    const empty = await redis.hget(
      partitionKeys(scenario.keyPrefix, 'value-segmentation', 11).meta,
      'startedAt',
    );
    expect(empty, 'the empty partition was started at the population’s stream time').not.toBeNull();
    await killWorker(worker);
  });

  it('waits for a quiet partition before moving it: records its producer sends late are applied in order, as a replay', async () => {
    const scenario = await createScenario('quietpart');
    scenarios.push(scenario);
    const records = [...generatePurchaseStream({ ...scenarioStream, seed: 73 })];
    const held = PARTITIONS - 1;
    const partitionOf = (key: string) => hash(key) % PARTITIONS;
    const keyed = (r: (typeof records)[number]) => ({
      key: r.key,
      value: r.value,
      partition: partitionOf(r.key),
    });
    // Every partition but one gets its records; the held one's producer is "still retrying".
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      records.filter((r) => partitionOf(r.key) !== held).map(keyed),
    );
    const worker = await startScenarioWorker(scenario, 'quiet-partition', {
      QUIET_PARTITION_WAIT_MS: '20000',
    });
    workers.push(worker);
    const meta = (p: number) => partitionKeys(scenario.keyPrefix, 'value-segmentation', p).meta;
    // The others run to the first view's instant, which needs the held partition's snapshot.
    await waitFor(
      'the other partitions past their first snapshot',
      async () => {
        for (let p = 0; p < PARTITIONS; p++)
          if (p !== held && (await redis.hget(meta(p), 'snapshotBoundary')) === null) return false;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // Caught up (nothing in Kafka) but not quiet long enough: not moved to the boundary.
    expect(await redis.hget(meta(held), 'streamTime'), 'the held partition was moved').toBeNull();
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      records.filter((r) => partitionOf(r.key) === held).map(keyed),
    );
    await waitFor(
      'every partition applied to its end',
      () => appliedToEnd(redis, scenario.keyPrefix, scenario.purchases, scenario.brokers),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await waitCommittedToEnd(scenario);
    // Decisions, final tiers and dead letters equal to the oracle's over the topic as it ends.
    const comparison = await compareScenarioWithOracle(scenario, redis);
    expect(comparison.outputs).toBeGreaterThan(0);
    await killWorker(worker);
  }, 150_000);

  it('never turns history still in the topic into late events under idle advance', async () => {
    const scenario = await createScenario('idlebackfill');
    scenarios.push(scenario);
    // No late events in the stream: any LATE_EVENT is the runtime's doing.
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      [
        ...generatePurchaseStream({
          ...scenarioStream,
          seed: 67,
          lateShare: 0,
          maxLatenessMs: 0,
          malformedShare: 0,
        }),
      ].map((r) => ({ key: r.key, value: r.value })),
    );
    // Tiny fetches and a short idle advance: partitions wait for Kafka between fetches, with
    // history left in the topic, far longer than IDLE_ADVANCE_MS.
    const worker = await startScenarioWorker(scenario, 'idle-backfill', {
      IDLE_ADVANCE_MS: '200',
      MAX_BYTES_PER_PARTITION: '2048',
    });
    workers.push(worker);
    await waitFor(
      'every partition applied to its end',
      () => appliedToEnd(redis, scenario.keyPrefix, scenario.purchases, scenario.brokers),
      { timeoutMs: 110_000, intervalMs: 500 },
    );
    await waitCommittedToEnd(scenario);
    const deadLetters = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat();
    expect(deadLetters.map(reasonOf).filter((r) => r === 'LATE_EVENT')).toEqual([]);
    await killWorker(worker);
  }, 150_000);

  it('dead-letters a record whose decision Redis would refuse, and goes on (no crash loop)', async () => {
    const scenario = await createScenario('poison');
    scenarios.push(scenario);
    const records = [
      ...generatePurchaseStream({ ...scenarioStream, seed: 71, malformedShare: 0, lateShare: 0 }),
    ];
    const poisoned = records[records.length >> 1]!.key;
    const throwing = records[records.length >> 2]!.key;
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      records.map((r) => ({ key: r.key, value: r.value })),
    );
    const base = createValueSegmentationWorker(scenarioSettings);
    // Defects of a worker: a NaN index score for one customer (ZADD would refuse it mid-script),
    // a decision that throws for another.
    const definition = {
      ...base,
      decide: (...args: Parameters<typeof base.decide>) => {
        if (args[1].customerId === throwing) throw new Error('planted bug in a decision');
        const decision = base.decide(...args);
        return args[1].customerId === poisoned ? { ...decision, indexScore: Number.NaN } : decision;
      },
    };
    const running = await runWorker<PurchaseLike, unknown, unknown>({
      definition: definition as never,
      config: parseRuntimeConfig({
        KAFKA_BROKERS: scenario.brokers,
        REDIS_URL: scenario.redisUrl,
        TOPIC_PREFIX: scenario.topicPrefix,
        KEY_PREFIX: scenario.keyPrefix,
        CONSUMER_GROUP_PREFIX: scenario.groupPrefix,
        TOPIC_PARTITIONS: String(PARTITIONS),
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      }),
      logger: createLogger({ level: 'warn', name: 'poison' }),
      handleSignals: false,
    });
    try {
      await waitFor(
        'every partition applied to its end',
        () => appliedToEnd(redis, scenario.keyPrefix, scenario.purchases, scenario.brokers),
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      await waitCommittedToEnd(scenario);
      const health = await fetch(`http://127.0.0.1:${running.metricsPort}/healthz`);
      expect(health.status, 'the worker is alive').toBe(200);
    } finally {
      await running.stop();
    }
    const deadLetters = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat();
    const invalid = deadLetters.filter((d) => reasonOf(d) === 'INVALID_DECISION');
    expect(invalid.length).toBe(records.filter((r) => r.key === poisoned || r.key === throwing).length);
    expect(new Set(invalid.map((d) => d.key?.toString()))).toEqual(new Set([poisoned, throwing]));
  });
});
