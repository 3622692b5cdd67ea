import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { RetentionInput } from '../../../services/retention/decide.js';
import { defaultLadderSettings } from '../../../services/retention/ladder/ladder-settings.js';
import { parseOfferPolicy } from '../../../services/retention/offers/offer-policy.js';
import { retentionSettings } from '../../../services/retention/settings.js';
import { createRetentionWorker, RETENTION } from '../../../services/retention/worker.js';
import { codecFor } from '../../../shared/avro/index.js';
import type { Purchase } from '../../../shared/contracts/generated.js';
import { samplePurchase } from '../../../shared/contracts/samples.js';
import { deadLetterTopicOf, topicCatalogue } from '../../../shared/topics.js';
import { InMemoryRuntime } from '../../oracle/in-memory-driver.js';
import { readWholeTopic } from '../../support/kafka-test-client.js';
import { retentionPopulation } from '../../support/retention-population.js';
import {
  deadLetterPositions,
  driverRecordsOf,
  expectRedisStateAsSpec,
  uniqueOutputs,
} from '../../support/runtime-spec-check.js';
import { startPacedLoad } from '../paced-load.js';
import type { ProducedRecord, Workload } from '../workload.js';

// Retention under faults, in the phases of test/integration/retention-worker.test.ts: profiles
// and value tiers applied first, then the purchases of a simulated BG/NBD customer base as the
// paced load (a few records to dead-letter mixed in, and one tick purchase per partition at the
// end so every partition's stream time reaches the last boundaries), then the complaints. The
// oracle is the runtime spec (the in-memory driver) fed the topic logs in that order: offers,
// holdouts and loyalty-ladder moves equal by eventId and content, the same dead letters, the
// same final Redis state.

const DAY_MS = 86_400_000;
const purchases = topicCatalogue.purchases.name;
const profiles = topicCatalogue.customerProfiles.name;
const segmentChanges = topicCatalogue.segmentChanges.name;
const interactions = topicCatalogue.interactions.name;
const offers = topicCatalogue.retentionOffers.name;
/** In the order the worker applied them: the order the spec is fed. */
const phaseOrder = [
  [profiles, 'CustomerProfile'],
  [segmentChanges, 'SegmentChanged'],
  [purchases, 'Purchase'],
  [interactions, 'Interaction'],
] as const;

const settings = retentionSettings({
  fitPeriodMs: 28 * DAY_MS,
  publishDelayMs: DAY_MS,
  minFitCustomers: 100,
});
const policyPath = 'deploy/retention-offer-policy.json';

export interface RetentionLoad {
  readonly customers: number;
  readonly weeks: number;
  /** Purchases per second. */
  readonly rate: number;
  /** One record to dead-letter after every this many purchases. */
  readonly poisonEvery: number;
}

export const defaultRetentionLoad: RetentionLoad = {
  customers: 1200,
  weeks: 40,
  rate: 200,
  poisonEvery: 200,
};

export function retentionWorkload(seed: number, load: Partial<RetentionLoad> = {}): Workload {
  const options = { ...defaultRetentionLoad, ...load };
  const policy = parseOfferPolicy(readFileSync(policyPath, 'utf8'), policyPath);
  const population = retentionPopulation({
    customers: options.customers,
    start: Date.UTC(2024, 0, 1),
    weeks: options.weeks,
    seed,
  });
  const encode = (schema: string, event: object) => codecFor(schema).encode(event as never);
  return {
    worker: RETENTION,
    entry: 'services/retention/main.ts',
    inputs: [purchases, interactions, profiles, segmentChanges],
    stream: purchases,
    outputs: [offers],
    env: () => ({
      RETENTION_FIT_PERIOD: '28d',
      RETENTION_PUBLISH_DELAY: '1d',
      RETENTION_MIN_FIT_CUSTOMERS: '100',
      RETENTION_OFFER_POLICY: policyPath,
    }),
    before: [
      {
        name: 'profiles',
        topic: profiles,
        records: population.profiles.map((p) => ({ key: p.customerId, value: encode('CustomerProfile', p) })),
      },
      {
        name: 'tiers',
        topic: segmentChanges,
        records: population.tiers.map((t) => ({ key: t.customerId, value: encode('SegmentChanged', t) })),
      },
    ],
    after: [
      {
        name: 'complaints',
        topic: interactions,
        records: population.complaints.map((i) => ({ key: i.customerId, value: encode('Interaction', i) })),
      },
    ],
    startLoad(run) {
      const stream: ProducedRecord[] = [];
      population.purchases.forEach((p, i) => {
        stream.push({ key: p.customerId, value: encode('Purchase', p) });
        if ((i + 1) % options.poisonEvery === 0)
          // A tombstone or a purchase in another currency: dead letters, in the customer's partition.
          stream.push({
            key: p.customerId,
            value:
              i % 2 === 0 ? null : encode('Purchase', { ...p, eventId: `${p.eventId}-usd`, currency: 'USD' }),
          });
      });
      for (let partition = 0; partition < run.partitions; partition++) {
        const tick: Purchase = {
          ...samplePurchase(),
          eventId: `tick-${partition}`,
          customerId: `tick-${partition}`,
          occurredAt: population.end,
        };
        stream.push({ key: tick.customerId, value: encode('Purchase', tick), partition });
      }
      return startPacedLoad(run.brokers, run.topic(purchases), stream, { rate: options.rate });
    },
    async compare(run, redis) {
      const read = (logical: string) => readWholeTopic(run.brokers, run.topic(logical));
      const logs = await Promise.all(phaseOrder.map(([topic]) => read(topic)));
      const [offerLog, ...deadLetterLogs] = await Promise.all([
        read(offers),
        ...phaseOrder.map(([topic]) => read(deadLetterTopicOf(topic))),
      ]);

      const worker = createRetentionWorker({
        settings,
        policy,
        partitionCount: run.partitions,
        ladder: defaultLadderSettings,
      });
      const spec = new InMemoryRuntime(worker, run.partitions, run.topicPrefix);
      for (let p = 0; p < run.partitions; p++)
        spec.append(
          p,
          phaseOrder.flatMap(([topic, schema], t) =>
            driverRecordsOf<RetentionInput>(logs[t]![p] ?? [], topic, schema),
          ),
        );
      spec.runUntilIdle();
      const expected = spec.result();
      expect(expected.stalledPartitions).toEqual([]);

      // Outputs: offers and holdouts, and the loyalty-ladder moves the worker adds to segment-changes.
      const roundTrip = (schema: string, value: Record<string, unknown>) =>
        codecFor(schema).decode(codecFor(schema).encode(value as never)) as unknown as Record<
          string,
          unknown
        >;
      const segmentLog = logs[phaseOrder.findIndex(([topic]) => topic === segmentChanges)]!.flat();
      const producedOffers = uniqueOutputs(offerLog.flat(), 'RetentionOfferIssued');
      const producedMoves = uniqueOutputs(segmentLog, 'SegmentChanged');
      const ladderMoves = new Map(
        [...producedMoves.byId].filter(([, e]) => e.dimension === 'loyalty-ladder'),
      );
      const wanted = (topic: string, schema: string) =>
        new Map(
          expected.outputs
            .filter((o) => o.topic === topic)
            .map((o) => [o.eventId, roundTrip(schema, o.value as Record<string, unknown>)]),
        );
      const wantedOffers = wanted(offers, 'RetentionOfferIssued');
      const wantedMoves = wanted(segmentChanges, 'SegmentChanged');
      expect(wantedOffers.size, 'a run that offers nothing shows nothing').toBeGreaterThan(50);
      expect(wantedMoves.size).toBeGreaterThan(100);
      expect(new Map([...producedOffers.byId].sort())).toEqual(new Map([...wantedOffers].sort()));
      expect(new Map([...ladderMoves].sort())).toEqual(new Map([...wantedMoves].sort()));

      // Dead letters: the spec names partition and offset; the topics tell the inputs apart.
      const deadLetters = deadLetterLogs.flat(2);
      const dead = deadLetterPositions(deadLetters);
      const position = (key: string) => key.slice(key.indexOf('|') + 1);
      expect([...dead].map(position).sort()).toEqual(
        expected.deadLetters.map((d) => `${d.partition}/${d.offset}`).sort(),
      );
      expect(dead.size).toBeGreaterThan(0);

      const state = await expectRedisStateAsSpec(redis, run.keyPrefix, worker, expected.partitions);
      expect(state.customers).toBeGreaterThan(options.customers / 2);
      return {
        outputs: producedOffers.byId.size + ladderMoves.size,
        duplicates: producedOffers.duplicates + producedMoves.duplicates,
        deadLetters: deadLetters.length,
        uniqueDeadLetters: dead.size,
      };
    },
  };
}
