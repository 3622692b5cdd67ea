import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RetentionInput } from '../../services/retention/decide.js';
import { defaultLadderSettings } from '../../services/retention/ladder/ladder-settings.js';
import { parseOfferPolicy } from '../../services/retention/offers/offer-policy.js';
import { retentionSettings } from '../../services/retention/settings.js';
import { createRetentionWorker, RETENTION } from '../../services/retention/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type {
  CustomerErasureRequested,
  CustomerProfile,
  Purchase,
} from '../../shared/contracts/generated.js';
import { samplePurchase } from '../../shared/contracts/samples.js';
import { partitionKeys } from '../../shared/redis/keys.js';
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
import { findTraces } from '../support/redis-traces.js';
import { retentionPopulation } from '../support/retention-population.js';
import { ownRedisServer } from '../support/scenario.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { metricSum, startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// Erasure requests through the retention worker as a real process on real Kafka and Redis,
// against the runtime's executable spec (the in-memory driver) fed the same records in the same
// per-partition order: profiles and tiers, the first 20 weeks of purchases, erasure requests for
// a tenth of the customers, profiles (half of them newer than the erasure: re-admitting; half
// older: not), the rest of the purchases, complaints. Offers, holdouts, ladder moves and
// ErasureCompleted events equal the spec's (ids and content); no output names an erased customer
// after its erasure unless a newer profile re-admitted it; the model counters in Redis equal the
// spec's (which the unit tests show equal a population without the customer), and no Redis key
// or value under the worker's prefix holds the id of an erased customer it did not re-admit.

const PARTITIONS = 4;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
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

const indexOf = (customerId: string) => Number(customerId.slice(2));

describe('retention worker with erasure requests on Kafka and Redis', () => {
  it('forgets erased customers exactly as the runtime spec does, and re-admits them on a newer profile', async () => {
    // A Redis of the test's own: the scan below reads every key and value in it.
    const own = await ownRedisServer();
    const redisUrl = own.url;
    const { kafkaBrokers } = testEndpoints();
    const prefix = `${uniqueName('retention-erasure')}.`;
    const group = uniqueName('retention-erasure');
    const keyPrefix = uniqueName('retention-erasure');
    const topic = (name: string) => prefix + name;
    await createTopicSet(kafkaBrokers, prefix, RETENTION_TOPICS, PARTITIONS);
    const start = Date.UTC(2024, 0, 1);
    const population = retentionPopulation({ customers: 800, start, weeks: 40, seed: 11 });
    const mid = start + 20 * WEEK_MS;
    const erased = population.profiles.map((p) => p.customerId).filter((c) => indexOf(c) % 10 === 5);
    const readmitted = new Set(erased.filter((c) => indexOf(c) % 20 === 5));
    const forgotten = new Set(erased.filter((c) => !readmitted.has(c)));
    const requests: CustomerErasureRequested[] = erased.map((customerId) => ({
      eventId: `erase-${customerId}`,
      customerId,
      occurredAt: mid,
    }));
    // A newer profile re-admits (with consent: it may be offered again); an older one does not.
    const laterProfiles: CustomerProfile[] = erased.map((customerId) => {
      const original = population.profiles.find((p) => p.customerId === customerId)!;
      return {
        ...original,
        eventId: `p2-${customerId}`,
        occurredAt: readmitted.has(customerId) ? mid + 1 : mid - DAY_MS,
        marketingConsent: true,
      };
    });
    const ticks: Purchase[] = Array.from({ length: PARTITIONS }, (_, p) => ({
      ...samplePurchase(),
      eventId: `tick-${p}`,
      customerId: `tick-${p}`,
      occurredAt: population.end,
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
      RETENTION_FIT_PERIOD: '28d',
      RETENTION_PUBLISH_DELAY: '1d',
      RETENTION_MIN_FIT_CUSTOMERS: '100',
      RETENTION_OFFER_POLICY: policyPath,
    };
    const groupId = `${group}.${RETENTION}`;
    const admin = testKafka(kafkaBrokers).admin();
    const redis = new Redis(redisUrl);
    await admin.connect();
    try {
      const worker = await startWorkerProcess('services/retention/main.ts', env, 'retention-erasure');
      running.push(worker);
      /** eventId → phase: the driver takes each partition's records phase by phase, as the worker did. */
      const phaseOf = new Map<string, number>();
      const phases: Array<{ name: string; topic: string; schema: string }> = [];
      const phase = async (
        name: string,
        t: { name: string; schema: string },
        events: Array<{ customerId: string; eventId: string; partition?: number }>,
      ) => {
        phases.push({ name, topic: t.name, schema: t.schema });
        for (const e of events) phaseOf.set(e.eventId, phases.length - 1);
        await produceRecords(
          kafkaBrokers,
          topic(t.name),
          events.map(({ partition, ...e }) => ({ key: e.customerId, value: encode(t.schema, e), partition })),
        );
        await waitFor(`${name} applied`, () => committedToEnd(admin, groupId, topic(t.name)), {
          timeoutMs: 240_000,
          intervalMs: 500,
        });
      };
      const { purchases, customerProfiles, segmentChanges, interactions, customerErasures } = topicCatalogue;
      await phase('profiles', customerProfiles, population.profiles);
      await phase('tiers', segmentChanges, population.tiers);
      await phase(
        'purchases before',
        purchases,
        population.purchases.filter((p) => p.occurredAt < mid),
      );
      await phase('erasures', customerErasures, requests);
      await phase('later profiles', customerProfiles, laterProfiles);
      await phase('purchases after', purchases, [
        ...population.purchases.filter((p) => p.occurredAt >= mid),
        ...ticks.map((t, p) => ({ ...t, partition: p })),
      ]);
      await phase('complaints', interactions, population.complaints);
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
        [...new Set(phases.map((p) => p.topic))].map(async (name) => ({
          name,
          schema: phases.find((p) => p.topic === name)!.schema,
          partitions: await readWholeTopic(kafkaBrokers, topic(name)),
        })),
      );
      for (let p = 0; p < PARTITIONS; p += 1) {
        const records = logs.flatMap((log) =>
          (log.partitions[p] ?? []).flatMap((r) => {
            const value = codecFor(log.schema).decode(r.value!) as unknown as RetentionInput & {
              eventId: string;
            };
            // Ladder moves (the worker's own output on segment-changes) change no state: left out.
            const at = phaseOf.get(value.eventId);
            if (at === undefined) return [];
            return [{ at, offset: r.offset, record: { offset: r.offset, topic: log.name, value } }];
          }),
        );
        records.sort((a, b) => a.at - b.at || Number(BigInt(a.offset) - BigInt(b.offset)));
        driver.append(p, records.map((r) => r.record) as DriverRecord<RetentionInput>[]);
      }
      driver.runUntilIdle();
      const expected = driver.result();
      expect(expected.stalledPartitions).toEqual([]);
      expect(expected.deadLetters).toEqual([]);

      const decodeAll = async (t: { name: string; schema: string }) =>
        (await readWholeTopic(kafkaBrokers, topic(t.name)))
          .flat()
          .map((r) => codecFor(t.schema).decode(r.value!) as unknown as Record<string, unknown>);
      const roundTrip = (schema: string, value: Record<string, unknown>) =>
        codecFor(schema).decode(codecFor(schema).encode(value as never)) as unknown as Record<
          string,
          unknown
        >;
      const compare = (
        label: string,
        schema: string,
        produced: Array<Record<string, unknown>>,
        wantedTopic: string,
        keep: (v: Record<string, unknown>) => boolean = () => true,
      ) => {
        const got = new Map(produced.filter(keep).map((e) => [String(e.eventId), e]));
        const wanted = new Map(
          expected.outputs
            .filter((o) => o.topic === wantedTopic && keep(o.value))
            .map((o) => [o.eventId, roundTrip(schema, o.value)]),
        );
        expect([...got.keys()].sort(), label).toEqual([...wanted.keys()].sort());
        for (const [id, event] of got) expect(event, label).toEqual(wanted.get(id));
        return got;
      };
      const completed = compare(
        'erasures completed',
        'ErasureCompleted',
        await decodeAll(topicCatalogue.erasuresCompleted),
        topicCatalogue.erasuresCompleted.name,
      );
      expect(completed.size).toBe(erased.length);
      expect([...completed.values()].every((e) => e.worker === RETENTION && e.requestedAt === mid)).toBe(
        true,
      );
      expect([...completed.values()].filter((e) => e.hadState).length).toBe(erased.length);
      const offers = compare(
        'offers and holdouts',
        'RetentionOfferIssued',
        await decodeAll(topicCatalogue.retentionOffers),
        topicCatalogue.retentionOffers.name,
      );
      const ladder = compare(
        'ladder moves',
        'SegmentChanged',
        await decodeAll(topicCatalogue.segmentChanges),
        topicCatalogue.segmentChanges.name,
        (v) => v.dimension === 'loyalty-ladder',
      );
      expect(offers.size).toBeGreaterThan(20);
      expect(ladder.size).toBeGreaterThan(100);

      // In the spec's order of outputs (equal to the worker's, above): nothing names a customer
      // after its ErasureCompleted, but a re-admitted one after its newer profile.
      const gone = new Set<string>();
      let afterwards = 0;
      for (const o of expected.outputs) {
        const named = String(o.value.customerId);
        if (o.decisionKind === 'erasure-completed') gone.add(named);
        else if (gone.has(named)) {
          expect(readmitted.has(named), `${o.decisionKind} names erased ${named}`).toBe(true);
          afterwards += 1;
        }
      }
      expect(gone.size).toBe(erased.length);
      expect(afterwards, 're-admitted customers are placed again').toBeGreaterThan(0);
      const forgottenNamed = [...offers.values(), ...ladder.values()].filter(
        (e) => forgotten.has(String(e.customerId)) && Number(e.occurredAt) > mid,
      );
      expect(forgottenNamed).toEqual([]);

      // Counters in Redis equal the spec's, partition by partition (model, rates, uplift, budget).
      const stores = expected.partitions;
      for (let p = 0; p < PARTITIONS; p += 1) {
        const counterKey = partitionKeys(keyPrefix, RETENTION, p).counters;
        const inRedis = Object.fromEntries(
          Object.entries(await redis.hgetall(counterKey))
            .map(([f, v]) => [f, Number(v)] as const)
            .filter(([, v]) => v !== 0),
        );
        const inSpec = Object.fromEntries([...stores[p]!.counters].filter(([, v]) => v !== 0));
        expect(inRedis, `counters of partition ${p}`).toEqual(inSpec);
      }
      // No key or value anywhere in this Redis holds an erased, not re-admitted, customer id.
      expect(await findTraces(redis, forgotten)).toEqual([]);
      // Whereas the re-admitted ones are there.
      const found = new Set((await findTraces(redis, readmitted)).map((t) => t.needle));
      expect([...readmitted].every((c) => found.has(c))).toBe(true);

      expect(metricSum(metrics, 'vs_erasures_total')).toBe(erased.length);
      expect(metricSum(metrics, 'vs_erased_customer_records_total')).toBeGreaterThan(0);
      console.log(
        `retention erasure: ${erased.length} erased (${readmitted.size} re-admitted), ${offers.size} offers and holdouts, ${ladder.size} ladder moves, ${afterwards} outputs after re-admission, all equal to the spec`,
      );
    } finally {
      await admin.disconnect();
      await redis.quit();
      await own.destroy();
    }
  }, 600_000);
});
