import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RetentionInput } from '../../services/retention/decide.js';
import { defaultLadderSettings } from '../../services/retention/ladder/ladder-settings.js';
import { parseOfferPolicy } from '../../services/retention/offers/offer-policy.js';
import { retentionSettings } from '../../services/retention/settings.js';
import { createRetentionWorker, RETENTION } from '../../services/retention/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { samplePurchase } from '../../shared/contracts/samples.js';
import { topicCatalogue } from '../../shared/topics.js';
import { type DriverRecord, InMemoryRuntime } from '../oracle/in-memory-driver.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import {
  createTopicSet,
  produceRecords,
  RETENTION_TOPICS,
  readWholeTopic,
  testKafka,
  waitFor,
} from '../support/kafka-test-client.js';
import { retentionPopulation } from '../support/retention-population.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { metricSum, startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// The retention worker as a real process on real Kafka and Redis against the runtime's
// executable spec (the in-memory driver) fed the same records in the same per-partition order:
// profiles and tiers, then purchases, then complaints. Equal offers and holdouts (ids and
// content) show the Redis runtime's fits, timers, counter reads (the budget) and tables behave
// as specified; /metrics shows the fitted parameters and treatments.

const PARTITIONS = 4;
const DAY_MS = 86_400_000;
const settings = retentionSettings({
  fitPeriodMs: 28 * DAY_MS,
  publishDelayMs: DAY_MS,
  minFitCustomers: 100,
});
const policyPath = 'deploy/retention-offer-policy.json';
const policy = parseOfferPolicy(readFileSync(policyPath, 'utf8'), policyPath);
const running: WorkerProcess[] = [];
afterAll(() => {
  for (const w of running) w.kill('SIGKILL');
});

describe('retention worker on Kafka and Redis', () => {
  it('issues the same offers and holdouts as the runtime spec, with fitted models in /metrics', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const prefix = `${uniqueName('retention')}.`;
    const group = uniqueName('retention');
    const topic = (name: string) => prefix + name;
    await createTopicSet(kafkaBrokers, prefix, RETENTION_TOPICS, PARTITIONS);
    const start = Date.UTC(2024, 0, 1);
    const population = retentionPopulation({ customers: 1200, start, weeks: 40, seed: 7 });
    // One purchase at the very end in every partition, so every partition's stream time reaches
    // the last boundaries and no partition waits for a view forever.
    const ticks: Array<{ partition: number; purchase: Purchase }> = Array.from(
      { length: PARTITIONS },
      (_, p) => ({
        partition: p,
        purchase: {
          ...samplePurchase(),
          eventId: `tick-${p}`,
          customerId: `tick-${p}`,
          occurredAt: population.end,
        },
      }),
    );
    const encode = (schema: string, event: object) => codecFor(schema).encode(event as never);

    const env = {
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KEY_PREFIX: uniqueName('retention'),
      CONSUMER_GROUP_PREFIX: group,
      TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'info',
      RETENTION_FIT_PERIOD: '28d',
      RETENTION_PUBLISH_DELAY: '1d',
      RETENTION_MIN_FIT_CUSTOMERS: '100',
      RETENTION_OFFER_POLICY: policyPath,
    };
    const groupId = `${group}.${RETENTION}`;
    const admin = testKafka(kafkaBrokers).admin();
    await admin.connect();
    try {
      const worker = await startWorkerProcess('services/retention/main.ts', env, 'retention-worker');
      running.push(worker);
      const phase = async (
        name: string,
        topicName: string,
        records: Array<{ key: string; value: Buffer; partition?: number }>,
      ) => {
        await produceRecords(kafkaBrokers, topic(topicName), records);
        await waitFor(`${name} applied`, () => committedToEnd(admin, groupId, topic(topicName)), {
          timeoutMs: 240_000,
          intervalMs: 500,
        });
      };
      await phase(
        'profiles',
        topicCatalogue.customerProfiles.name,
        population.profiles.map((p) => ({ key: p.customerId, value: encode('CustomerProfile', p) })),
      );
      await phase(
        'tiers',
        topicCatalogue.segmentChanges.name,
        population.tiers.map((t) => ({ key: t.customerId, value: encode('SegmentChanged', t) })),
      );
      await phase('purchases', topicCatalogue.purchases.name, [
        ...population.purchases.map((p) => ({ key: p.customerId, value: encode('Purchase', p) })),
        ...ticks.map((t) => ({
          key: t.purchase.customerId,
          value: encode('Purchase', t.purchase),
          partition: t.partition,
        })),
      ]);
      await phase(
        'complaints',
        topicCatalogue.interactions.name,
        population.complaints.map((i) => ({ key: i.customerId, value: encode('Interaction', i) })),
      );
      const metrics = await worker.metrics();
      worker.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);

      // The spec, fed the records exactly as Kafka holds them, phase by phase.
      const driver = new InMemoryRuntime(
        createRetentionWorker({
          settings,
          policy,
          partitionCount: PARTITIONS,
          ladder: defaultLadderSettings,
        }),
        PARTITIONS,
        prefix,
      );
      const logs = await Promise.all(
        [
          [topicCatalogue.customerProfiles, 'CustomerProfile'],
          [topicCatalogue.segmentChanges, 'SegmentChanged'],
          [topicCatalogue.purchases, 'Purchase'],
          [topicCatalogue.interactions, 'Interaction'],
        ].map(async ([t, schema]) => ({
          name: (t as { name: string }).name,
          partitions: await readWholeTopic(kafkaBrokers, topic((t as { name: string }).name)),
          schema: schema as string,
        })),
      );
      for (let p = 0; p < PARTITIONS; p += 1) {
        const records: DriverRecord<RetentionInput>[] = logs.flatMap((log) =>
          (log.partitions[p] ?? []).map((r) => ({
            offset: r.offset,
            topic: log.name,
            value: codecFor(log.schema).decode(r.value!) as unknown as RetentionInput,
          })),
        );
        driver.append(p, records);
      }
      driver.runUntilIdle();
      const expected = driver.result();
      expect(expected.stalledPartitions).toEqual([]);
      expect(expected.outputs.length).toBeGreaterThan(50);

      const offerCodec = codecFor('RetentionOfferIssued');
      const produced = new Map<string, Record<string, unknown>>();
      for (const r of (
        await readWholeTopic(kafkaBrokers, topic(topicCatalogue.retentionOffers.name))
      ).flat()) {
        const event = offerCodec.decode(r.value!) as unknown as Record<string, unknown>;
        produced.set(String(event.eventId), event);
      }
      // Loyalty-ladder moves go to segment-changes (the worker reads it too, for value tiers).
      const segmentCodec = codecFor('SegmentChanged');
      const ladderMoves = new Map<string, Record<string, unknown>>();
      for (const r of (
        await readWholeTopic(kafkaBrokers, topic(topicCatalogue.segmentChanges.name))
      ).flat()) {
        const event = segmentCodec.decode(r.value!) as unknown as Record<string, unknown>;
        if (event.dimension === 'loyalty-ladder') ladderMoves.set(String(event.eventId), event);
      }
      const roundTrip = (topicName: string, value: Record<string, unknown>) => {
        const codec = topicName === topicCatalogue.segmentChanges.name ? segmentCodec : offerCodec;
        return codec.decode(codec.encode(value as never)) as unknown as Record<string, unknown>;
      };
      const wantedLadder = new Map(
        expected.outputs
          .filter((o) => o.topic === topicCatalogue.segmentChanges.name)
          .map((o) => [o.eventId, roundTrip(o.topic, o.value)]),
      );
      expect(wantedLadder.size).toBeGreaterThan(100);
      expect([...ladderMoves.keys()].sort()).toEqual([...wantedLadder.keys()].sort());
      for (const [id, event] of ladderMoves) expect(event).toEqual(wantedLadder.get(id));
      const wanted = new Map(
        expected.outputs
          .filter((o) => o.topic === topicCatalogue.retentionOffers.name)
          .map((o) => [o.eventId, roundTrip(o.topic, o.value)]),
      );
      expect([...produced.keys()].sort()).toEqual([...wanted.keys()].sort());
      for (const [id, event] of produced) expect(event).toEqual(wanted.get(id));
      const reasons = new Set([...produced.values()].flatMap((e) => e.reasons as string[]));
      expect(reasons).toContain('silence');
      expect(reasons).toContain('dissatisfaction');
      expect([...reasons].every((r) => ['silence', 'dissatisfaction', 'spend-decline'].includes(r))).toBe(
        true,
      );
      expect([...produced.values()].every((e) => population.consent.get(String(e.customerId)) === true)).toBe(
        true,
      );

      expect(
        metricSum(metrics, 'vs_retention_model_parameter', (l) => l.includes('parameter="r"')),
      ).toBeGreaterThan(0);
      expect(
        metricSum(metrics, 'vs_retention_treatments_total', (l) => l.includes('outcome="offer"')),
      ).toBeGreaterThan(0);
      expect(
        metricSum(metrics, 'vs_retention_uplift_customers', (l) => l.includes('group="holdout"')),
      ).toBeGreaterThan(0);
      expect(metricSum(metrics, 'vs_retention_rate')).toBeGreaterThan(0);
      expect(
        metricSum(metrics, 'vs_repeat_revenue_share', (l) => l.includes('window="all"')),
      ).toBeGreaterThan(0);
      console.log(
        `retention: ${population.purchases.length} purchases, ${produced.size} offers and holdouts and ${ladderMoves.size} ladder moves equal to the spec; reasons ${[...reasons].join(', ')}`,
      );
    } finally {
      await admin.disconnect();
    }
  }, 600_000);
});
