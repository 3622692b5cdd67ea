import { expect } from 'vitest';
import type { NextBestOfferInput } from '../../../services/next-best-offer/decide.js';
import { DAY_MS } from '../../../services/next-best-offer/settings.js';
import {
  createNextBestOfferWorker,
  NEXT_BEST_OFFER_WORKER,
} from '../../../services/next-best-offer/worker.js';
import { codecFor } from '../../../shared/avro/index.js';
import type { Purchase } from '../../../shared/contracts/generated.js';
import { samplePurchase } from '../../../shared/contracts/samples.js';
import { deadLetterTopicOf, topicCatalogue } from '../../../shared/topics.js';
import { InMemoryRuntime } from '../../oracle/in-memory-driver.js';
import { readWholeTopic } from '../../support/kafka-test-client.js';
import { nextBestOfferSettingsOf, nextBestOfferTestEnv } from '../../support/next-best-offer-settings.js';
import { nextBestOfferTraffic, TRAFFIC_START } from '../../support/next-best-offer-traffic.js';
import {
  deadLetterPositions,
  driverRecordsOf,
  expectRedisStateAsSpec,
  uniqueOutputs,
} from '../../support/runtime-spec-check.js';
import { startPacedLoad } from '../paced-load.js';
import type { ProducedRecord, Workload } from '../workload.js';

// Next best offer under faults, in the phases of test/integration/next-best-offer-worker.test.ts:
// profiles (consent for most customers) and value tiers applied first, then the purchases of the
// synthetic traffic with built-in associations and an up-sell step as the paced load (a few
// records to dead-letter mixed in, and one tick purchase per partition at the end so every
// partition's stream time passes the last boundaries). The oracle is the runtime spec (the
// in-memory driver) fed the topic logs in that order: suggestions and holdouts equal by eventId
// and content, the same dead letters, the same final Redis state.

const purchases = topicCatalogue.purchases.name;
const profiles = topicCatalogue.customerProfiles.name;
const segmentChanges = topicCatalogue.segmentChanges.name;
const suggestions = topicCatalogue.nextBestOffers.name;
/** In the order the worker applied them: the order the spec is fed. */
const phaseOrder = [
  [profiles, 'CustomerProfile'],
  [segmentChanges, 'SegmentChanged'],
  [purchases, 'Purchase'],
] as const;

export interface NextBestOfferLoad {
  readonly customers: number;
  readonly days: number;
  /** Purchases per second. */
  readonly rate: number;
  /** One record to dead-letter after every this many purchases. */
  readonly poisonEvery: number;
}

export const defaultNextBestOfferLoad: NextBestOfferLoad = {
  customers: 150,
  days: 70,
  rate: 150,
  poisonEvery: 150,
};

export function nextBestOfferWorkload(seed: number, load: Partial<NextBestOfferLoad> = {}): Workload {
  const options = { ...defaultNextBestOfferLoad, ...load };
  const settings = nextBestOfferSettingsOf(nextBestOfferTestEnv);
  const traffic = nextBestOfferTraffic({ seed, customers: options.customers, days: options.days });
  const end = TRAFFIC_START + options.days * DAY_MS;
  const encode = (schema: string, event: object) => codecFor(schema).encode(event as never);
  return {
    worker: NEXT_BEST_OFFER_WORKER,
    entry: 'services/next-best-offer/main.ts',
    inputs: [purchases, profiles, segmentChanges, topicCatalogue.underConsumption.name],
    stream: purchases,
    outputs: [suggestions],
    env: () => ({ ...nextBestOfferTestEnv }),
    before: [
      {
        name: 'profiles',
        topic: profiles,
        records: traffic.profiles.map((p) => ({ key: p.key, value: encode('CustomerProfile', p.event) })),
      },
      {
        name: 'tiers',
        topic: segmentChanges,
        records: traffic.tiers.map((t) => ({ key: t.key, value: encode('SegmentChanged', t.event) })),
      },
    ],
    after: [],
    startLoad(run) {
      const stream: ProducedRecord[] = [];
      traffic.purchases.forEach(({ key, event }, i) => {
        stream.push({ key, value: encode('Purchase', event) });
        if ((i + 1) % options.poisonEvery === 0)
          // A tombstone or a purchase in another currency: dead letters, in the customer's partition.
          stream.push({
            key,
            value:
              i % 2 === 0
                ? null
                : encode('Purchase', { ...event, eventId: `${event.eventId}-usd`, currency: 'USD' }),
          });
      });
      for (let partition = 0; partition < run.partitions; partition++) {
        const tick: Purchase = {
          ...samplePurchase(),
          eventId: `tick-${partition}`,
          customerId: `tick-${partition}`,
          occurredAt: end,
        };
        stream.push({ key: tick.customerId, value: encode('Purchase', tick), partition });
      }
      return startPacedLoad(run.brokers, run.topic(purchases), stream, { rate: options.rate });
    },
    async compare(run, redis) {
      const read = (logical: string) => readWholeTopic(run.brokers, run.topic(logical));
      const logs = await Promise.all(phaseOrder.map(([topic]) => read(topic)));
      const [suggestionLog, ...deadLetterLogs] = await Promise.all([
        read(suggestions),
        ...phaseOrder.map(([topic]) => read(deadLetterTopicOf(topic))),
      ]);

      const worker = createNextBestOfferWorker(settings);
      const spec = new InMemoryRuntime(worker, run.partitions, run.topicPrefix);
      for (let p = 0; p < run.partitions; p++)
        spec.append(
          p,
          phaseOrder.flatMap(([topic, schema], t) =>
            driverRecordsOf<NextBestOfferInput>(logs[t]![p] ?? [], topic, schema),
          ),
        );
      spec.runUntilIdle();
      const expected = spec.result();
      expect(expected.stalledPartitions).toEqual([]);

      // Suggestions and holdouts, by eventId and content (the spec's as the schema round-trips them).
      const codec = codecFor('NextBestOfferSuggested');
      const produced = uniqueOutputs(suggestionLog.flat(), 'NextBestOfferSuggested');
      const wanted = new Map(
        expected.outputs
          .filter((o) => o.topic === suggestions)
          .map((o) => [
            o.eventId,
            codec.decode(codec.encode(o.value as never)) as unknown as Record<string, unknown>,
          ]),
      );
      expect(wanted.size, 'a run that suggests nothing shows nothing').toBeGreaterThan(50);
      expect([...wanted.values()].some((e) => e.holdout === true)).toBe(true);
      expect(new Map([...produced.byId].sort())).toEqual(new Map([...wanted].sort()));

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
        outputs: produced.byId.size,
        duplicates: produced.duplicates,
        deadLetters: deadLetters.length,
        uniqueDeadLetters: dead.size,
      };
    },
  };
}
