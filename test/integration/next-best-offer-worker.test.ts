import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { NextBestOfferInput } from '../../services/next-best-offer/decide.js';
import type { NextBestOfferView } from '../../services/next-best-offer/view.js';
import { createNextBestOfferWorker, NEXT_BEST_OFFER_WORKER } from '../../services/next-best-offer/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { samplePurchase } from '../../shared/contracts/samples.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { topicCatalogue } from '../../shared/topics.js';
import { bruteForceRules } from '../oracle/association-rules.js';
import { InMemoryRuntime } from '../oracle/in-memory-driver.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import {
  createTopicSet,
  NEXT_BEST_OFFER_TOPICS,
  produceRecords,
  readWholeTopic,
  testKafka,
  waitFor,
} from '../support/kafka-test-client.js';
import { nextBestOfferSettingsOf, nextBestOfferTestEnv } from '../support/next-best-offer-settings.js';
import { nextBestOfferTraffic, TRAFFIC_START } from '../support/next-best-offer-traffic.js';
import { driverRecordsOf, uniqueOutputs } from '../support/runtime-spec-check.js';
import { deleteKeys } from '../support/scenario.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { metricSum, startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// The next-best-offer worker as a real process on real Kafka and Redis, SIGKILLed once mid-run
// (right after Redis applied a step, before Kafka heard of it) and restarted, against the
// runtime's executable spec (the in-memory driver) fed the same records in the same per-partition
// order: profiles and tiers, then purchases. Equal suggestions and holdouts (ids and content)
// show the Redis runtime's baskets, steps, timers and population views behave as specified
// through a crash; the views the worker stored hold exactly the rules a brute-force count finds
// in each window's baskets, taken straight from the generated sales.

const PARTITIONS = 4;
const DAY_MS = 86_400_000;
const DAYS = 70;
const settings = nextBestOfferSettingsOf(nextBestOfferTestEnv);
const running: WorkerProcess[] = [];
afterAll(() => {
  for (const w of running) w.kill('SIGKILL');
});

describe('next-best-offer worker on Kafka and Redis', () => {
  it('suggests as the runtime spec does through a SIGKILL, from views holding the batch-counted rules', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const prefix = `${uniqueName('nbo')}.`;
    const group = uniqueName('nbo');
    const keyPrefix = uniqueName('nbo');
    const topic = (name: string) => prefix + name;
    await createTopicSet(kafkaBrokers, prefix, NEXT_BEST_OFFER_TOPICS, PARTITIONS);
    const traffic = nextBestOfferTraffic({ seed: 11, customers: 150, days: DAYS });
    // One purchase at the very end in every partition, so every partition's stream time passes
    // the last boundaries and no partition waits for a view forever.
    const ticks = Array.from({ length: PARTITIONS }, (_, p) => ({
      partition: p,
      purchase: {
        ...samplePurchase(),
        eventId: `tick-${p}`,
        customerId: `tick-${p}`,
        occurredAt: TRAFFIC_START + DAYS * DAY_MS,
      } satisfies Purchase,
    }));
    const encode = (schema: string, event: object) => codecFor(schema).encode(event as never);

    const env = {
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KEY_PREFIX: keyPrefix,
      CONSUMER_GROUP_PREFIX: group,
      TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'info',
      // Small steps, so the crash lands with most of the purchases still to come.
      MAX_BATCH_RECORDS: '50',
      ...nextBestOfferTestEnv,
    };
    const groupId = `${group}.${NEXT_BEST_OFFER_WORKER}`;
    const admin = testKafka(kafkaBrokers).admin();
    const redis = new Redis(redisUrl);
    await admin.connect();
    try {
      const applied = async () => {
        let sum = 0;
        for (let p = 0; p < PARTITIONS; p += 1) {
          const offset = await redis.hget(
            partitionKeys(keyPrefix, NEXT_BEST_OFFER_WORKER, p).meta,
            `offset:${topicCatalogue.purchases.name}`,
          );
          sum += offset === null ? 0 : Number(offset) + 1;
        }
        return sum;
      };
      const settled = (name: string, logical: string) =>
        waitFor(`${name} applied`, () => committedToEnd(admin, groupId, topic(logical)), {
          timeoutMs: 240_000,
          intervalMs: 500,
        });

      // The tables first, applied on arrival by a worker that then leaves.
      const tables = await startWorkerProcess('services/next-best-offer/main.ts', env, 'nbo-worker-tables');
      running.push(tables);
      await produceRecords(
        kafkaBrokers,
        topic(topicCatalogue.customerProfiles.name),
        traffic.profiles.map((p) => ({ key: p.key, value: encode('CustomerProfile', p.event) })),
      );
      await settled('profiles', topicCatalogue.customerProfiles.name);
      await produceRecords(
        kafkaBrokers,
        topic(topicCatalogue.segmentChanges.name),
        traffic.tiers.map((t) => ({ key: t.key, value: encode('SegmentChanged', t.event) })),
      );
      await settled('tiers', topicCatalogue.segmentChanges.name);
      tables.kill('SIGTERM');
      expect((await tables.exited).code).toBe(0);

      // The purchases, to a worker killed right after Redis applied its 10th step, before the
      // step's outputs were produced and its offsets committed; then restarted.
      const purchaseRecords = [
        ...traffic.purchases.map((p) => ({ key: p.key, value: encode('Purchase', p.event) })),
        ...ticks.map((t) => ({
          key: t.purchase.customerId,
          value: encode('Purchase', t.purchase),
          partition: t.partition,
        })),
      ];
      const first = await startWorkerProcess(
        'services/next-best-offer/main.ts',
        { ...env, VS_FAILPOINT: 'after-apply@10:SIGKILL' },
        'nbo-worker-killed',
        { preload: ['test/faults/failpoint.ts'] },
      );
      running.push(first);
      await produceRecords(kafkaBrokers, topic(topicCatalogue.purchases.name), purchaseRecords);
      const killed = await first.exited;
      expect(killed.signal, 'the failpoint killed the worker').toBe('SIGKILL');
      const appliedAtKill = await applied();
      expect(appliedAtKill).toBeGreaterThan(0);
      expect(appliedAtKill, 'killed mid-run').toBeLessThan(purchaseRecords.length / 2);

      const second = await startWorkerProcess(
        'services/next-best-offer/main.ts',
        env,
        'nbo-worker-restarted',
      );
      running.push(second);
      await settled('purchases', topicCatalogue.purchases.name);
      // Its metrics move (the Prometheus test does not run this worker): decisions by outcome,
      // suggestions by kind, conversions, and the model in force read from Redis at scrape time.
      const text = await second.metrics();
      const moved = (name: string, filter?: (labels: string) => boolean) => metricSum(text, name, filter);
      expect(
        moved('vs_next_best_offer_decisions_total', (l) => l.includes('outcome="suggest"')),
      ).toBeGreaterThan(0);
      expect(
        moved('vs_next_best_offer_decisions_total', (l) => l.includes('outcome="holdout"')),
      ).toBeGreaterThan(0);
      expect(moved('vs_next_best_offer_suggestions_total', (l) => l.includes('kind="rule"'))).toBeGreaterThan(
        0,
      );
      expect(
        moved('vs_next_best_offer_suggestions_total', (l) => l.includes('kind="sequence"')),
      ).toBeGreaterThan(0);
      expect(moved('vs_next_best_offer_conversions_total')).toBeGreaterThan(0);
      expect(moved('vs_next_best_offer_model', (l) => l.includes('what="rules"'))).toBeGreaterThan(0);
      expect(moved('vs_next_best_offer_model', (l) => l.includes('what="steps"'))).toBeGreaterThan(0);
      expect(moved('vs_population_merge_seconds_count')).toBeGreaterThan(0);
      second.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);

      // The spec, fed the records exactly as Kafka holds them, phase by phase.
      const worker = createNextBestOfferWorker(settings);
      const driver = new InMemoryRuntime(worker, PARTITIONS, prefix);
      const phases = [
        [topicCatalogue.customerProfiles.name, 'CustomerProfile'],
        [topicCatalogue.segmentChanges.name, 'SegmentChanged'],
        [topicCatalogue.purchases.name, 'Purchase'],
      ] as const;
      const logs = await Promise.all(phases.map(([name]) => readWholeTopic(kafkaBrokers, topic(name))));
      for (let p = 0; p < PARTITIONS; p += 1)
        driver.append(
          p,
          phases.flatMap(([name, schema], t) =>
            driverRecordsOf<NextBestOfferInput>(logs[t]![p] ?? [], name, schema),
          ),
        );
      driver.runUntilIdle();
      const expected = driver.result();
      expect(expected.stalledPartitions).toEqual([]);
      expect(expected.deadLetters).toEqual([]);

      // Every view the worker stored holds the rules of a brute-force count over the window's
      // baskets as generated (a sale's distinct categories), and equals the spec's view.
      const generated = [...traffic.purchases.map((p) => p.event), ...ticks.map((t) => t.purchase)];
      const specViews = expected.views.filter((v) => v.view !== null);
      expect(specViews.length).toBeGreaterThan(60);
      let checked = 0;
      for (const { boundary, view: specView } of specViews) {
        const stored = await redis.get(populationViewKey(keyPrefix, NEXT_BEST_OFFER_WORKER, boundary));
        if (stored === null) continue;
        checked += 1;
        const view = JSON.parse(stored) as NextBestOfferView;
        expect(view, `view of ${new Date(boundary).toISOString()}`).toEqual(
          JSON.parse(JSON.stringify(specView)),
        );
        const day = Math.floor(boundary / DAY_MS);
        const oracle = bruteForceRules(
          generated
            .filter((e) => {
              const d = Math.floor(e.occurredAt / DAY_MS);
              return d >= day - settings.basketWindowDays && d < day;
            })
            .map((e) => ({ items: [...new Set(e.lines.map((l) => l.category))], weight: 1 })),
          {
            minSupport: settings.minSupport,
            minConfidence: settings.minConfidence,
            minLen: settings.minRuleLength,
            maxLen: settings.maxRuleLength,
          },
        );
        expect(view.baskets).toBe(oracle.n);
        const key = (lhs: readonly string[], rhs: string, count: number) =>
          `${lhs.join('+')}=>${rhs}:${count}`;
        expect(view.rules.map((r) => key(r.antecedent, r.consequent, r.count)).sort()).toEqual(
          oracle.rules.map((r) => key(r.lhs, r.rhs, r.count)).sort(),
        );
      }
      // Views are stored once a step used them: every boundary the purchases crossed.
      expect(checked).toBeGreaterThan(60);
      // Suggestions and holdouts on next-best-offers, each decoding with NextBestOfferSuggested.
      const suggestionLog = await readWholeTopic(kafkaBrokers, topic(topicCatalogue.nextBestOffers.name));
      const produced = uniqueOutputs(suggestionLog.flat(), 'NextBestOfferSuggested');
      const codec = codecFor('NextBestOfferSuggested');
      const wanted = new Map(
        expected.outputs.map((o) => [
          o.eventId,
          codec.decode(codec.encode(o.value as never)) as unknown as Record<string, unknown>,
        ]),
      );
      expect(wanted.size).toBeGreaterThan(100);
      expect([...produced.byId.keys()].sort()).toEqual([...wanted.keys()].sort());
      for (const [id, event] of produced.byId) expect(event, id).toEqual(wanted.get(id));
      // Keyed by customer, so a customer's suggestions stay in order for consumers.
      for (const record of suggestionLog.flat())
        expect(record.key?.toString('utf8')).toBe(
          String((codec.decode(record.value!) as unknown as { customerId: string }).customerId),
        );
      const events = [...produced.byId.values()];
      expect(events.some((e) => e.holdout === true)).toBe(true);
      const kinds = new Set(
        events.flatMap((e) =>
          (e.suggestions as Array<{ kind: string; item: string }>).map((s) => `${s.kind}:${s.item}`),
        ),
      );
      expect(kinds).toContain('RULE:pizza');
      expect(kinds).toContain('SEQUENCE:contract');

      console.log(
        `next-best-offer: ${purchaseRecords.length} purchases, killed after ${appliedAtKill} applied, ${produced.byId.size} suggestions and holdouts (${produced.duplicates} repeated) equal to the spec; ${checked} stored views equal to a brute-force count`,
      );
    } finally {
      await admin.disconnect();
      await deleteKeys(redis, keyPrefix).catch(() => undefined);
      await redis.quit();
    }
  }, 600_000);
});
