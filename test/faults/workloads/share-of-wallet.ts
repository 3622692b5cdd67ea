import { expect } from 'vitest';
import { generateConsumptionTraffic } from '../../../services/pos-simulator/consumption.js';
import type { ShareOfWalletInput } from '../../../services/share-of-wallet/decide.js';
import { DAY_MS, shareOfWalletSettings } from '../../../services/share-of-wallet/settings.js';
import { createShareOfWalletWorker, SHARE_OF_WALLET } from '../../../services/share-of-wallet/worker.js';
import { codecFor } from '../../../shared/avro/index.js';
import type { CustomerProfile, Purchase } from '../../../shared/contracts/generated.js';
import { validateCustomerProfile } from '../../../shared/contracts/validate-profile.js';
import { deadLetterTopicOf, topicCatalogue } from '../../../shared/topics.js';
import { type DriverRecord, InMemoryRuntime } from '../../oracle/in-memory-driver.js';
import { computeShareOfWallet } from '../../oracle/share-of-wallet-oracle.js';
import { readWholeTopic } from '../../support/kafka-test-client.js';
import {
  deadLetterPositions,
  driverRecordsOf,
  expectRedisStateAsSpec,
  uniqueOutputs,
} from '../../support/runtime-spec-check.js';
import {
  comparableFromEvent,
  comparableFromOracle,
  expectSameAlerts,
} from '../../support/share-of-wallet-check.js';
import { startPacedLoad } from '../paced-load.js';
import type { ProducedRecord, Workload } from '../workload.js';

// Share of wallet under faults, checked the way test/e2e/share-of-wallet.test.ts checks it:
// simulated households and businesses (services/pos-simulator/consumption.ts), their profiles
// applied before any purchase, then their purchases as the paced load, with a few records the
// worker must dead-letter mixed in. The alerts must equal the independent oracle's
// (computeShareOfWallet) by eventId and content, the dead letters the oracle's, and the final
// Redis state the runtime spec's (in-memory driver) after the same records.

const purchases = topicCatalogue.purchases.name;
const profiles = topicCatalogue.customerProfiles.name;
const segmentChanges = topicCatalogue.segmentChanges.name;
const alerts = topicCatalogue.underConsumption.name;
// Weekly evaluations instead of daily: each is a population barrier across the partitions, and
// 17 of them instead of 120 keep a run under a minute with the same alerts to check.
const settings = shareOfWalletSettings({ evaluationPeriodMs: 7 * DAY_MS });

export interface ShareOfWalletLoad {
  readonly customers: number;
  readonly spanDays: number;
  /** Purchases per second. */
  readonly rate: number;
  /** One record to dead-letter after every this many purchases. */
  readonly poisonEvery: number;
}

export const defaultShareOfWalletLoad: ShareOfWalletLoad = {
  customers: 200,
  spanDays: 120,
  rate: 350,
  poisonEvery: 150,
};

/** A record the worker must dead-letter, keyed like the purchase it follows (same partition). */
function poisonAfter(record: { key: string; value: Buffer; event: Purchase }, n: number): ProducedRecord {
  switch (n % 3) {
    case 0:
      return { key: record.key, value: null };
    case 1:
      return { key: record.key, value: record.value.subarray(0, Math.floor(record.value.length / 2)) };
    default:
      return {
        key: record.key,
        value: codecFor('Purchase').encode({
          ...record.event,
          eventId: `${record.event.eventId}-usd`,
          currency: 'USD',
        } as never),
      };
  }
}

export function shareOfWalletWorkload(seed: number, load: Partial<ShareOfWalletLoad> = {}): Workload {
  const options = { ...defaultShareOfWalletLoad, ...load };
  const traffic = generateConsumptionTraffic({
    seed,
    customers: options.customers,
    spanDays: options.spanDays,
  });
  const profileCodec = codecFor('CustomerProfile');
  // Invalid profiles go to the dead letters with their reason (a country that is no code).
  const invalidProfiles = traffic.profiles.slice(0, 3).map((r) => ({
    key: r.key,
    value: profileCodec.encode({
      ...r.event,
      eventId: `${r.event.eventId}-bad`,
      country: 'Germany',
    } as never),
  }));
  const stream: ProducedRecord[] = [];
  traffic.purchases.forEach((r, i) => {
    stream.push({ key: r.key, value: r.value });
    if ((i + 1) % options.poisonEvery === 0) stream.push(poisonAfter(r, (i + 1) / options.poisonEvery));
  });

  return {
    worker: SHARE_OF_WALLET,
    entry: 'services/share-of-wallet/main.ts',
    inputs: [purchases, profiles, segmentChanges],
    stream: purchases,
    outputs: [alerts],
    env: () => ({ SOW_EVALUATION_PERIOD: '7d' }),
    before: [
      {
        name: 'profiles',
        topic: profiles,
        records: [...traffic.profiles.map((r) => ({ key: r.key, value: r.value })), ...invalidProfiles],
      },
    ],
    after: [],
    startLoad: (run) => startPacedLoad(run.brokers, run.topic(purchases), stream, { rate: options.rate }),
    async compare(run, redis) {
      const read = (logical: string) => readWholeTopic(run.brokers, run.topic(logical));
      const [purchaseLog, profileLog, segmentLog, alertLog, ...deadLetterLogs] = await Promise.all([
        read(purchases),
        read(profiles),
        read(segmentChanges),
        read(alerts),
        ...[purchases, profiles, segmentChanges].map((t) => read(deadLetterTopicOf(t))),
      ]);
      expect(segmentLog.flat()).toEqual([]);
      const purchaseRecords = purchaseLog.map((records) =>
        driverRecordsOf<Purchase>(records, purchases, 'Purchase'),
      );
      const profileRecords = profileLog.map((records) =>
        driverRecordsOf<CustomerProfile>(records, profiles, 'CustomerProfile'),
      );

      // Alerts: the independent oracle, over the records as Kafka holds them.
      const oracle = computeShareOfWallet({
        settings,
        topicPrefix: run.topicPrefix,
        partitions: purchaseRecords.map((records, p) =>
          records.map((r, i) => ({
            offset: r.offset,
            customerId: purchaseLog[p]![i]!.key!.toString('utf8'),
            purchase: r.value,
          })),
        ),
        profiles: profileRecords.map((records) =>
          records.map((r) => r.value!).filter((profile) => validateCustomerProfile(profile) === null),
        ),
      });
      expect(oracle.stalledPartitions).toEqual([]);
      const produced = uniqueOutputs(alertLog.flat(), 'UnderConsumptionDetected');
      expect(produced.byId.size, 'a run that alerts on nobody shows nothing').toBeGreaterThan(20);
      expectSameAlerts([...produced.byId.values()].map(comparableFromEvent), comparableFromOracle(oracle));

      // Dead letters: the oracle's purchases, and the profiles that fail their contract.
      const deadLetters = deadLetterLogs.flat(2);
      const expectedDead = new Set(
        oracle.deadLetters.map((d) => `${run.topic(purchases)}|${d.partition}/${d.offset}`),
      );
      profileLog.forEach((records, p) => {
        records.forEach((r, i) => {
          if (validateCustomerProfile(profileRecords[p]![i]!.value!) !== null)
            expectedDead.add(`${run.topic(profiles)}|${p}/${r.offset}`);
        });
      });
      const dead = deadLetterPositions(deadLetters);
      expect([...dead].sort()).toEqual([...expectedDead].sort());
      expect(dead.size).toBeGreaterThan(invalidProfiles.length);

      // Final state: the runtime spec fed the same logs, profiles before purchases as applied.
      const worker = createShareOfWalletWorker(settings);
      const spec = new InMemoryRuntime(worker, run.partitions, run.topicPrefix);
      for (let p = 0; p < run.partitions; p++)
        spec.append(p, [
          ...(profileRecords[p] ?? []),
          ...(purchaseRecords[p] ?? []),
        ] as DriverRecord<ShareOfWalletInput>[]);
      spec.runUntilIdle();
      const result = spec.result();
      expect(result.stalledPartitions).toEqual([]);
      expect(new Set(result.outputs.map((o) => o.eventId))).toEqual(new Set(produced.byId.keys()));
      const state = await expectRedisStateAsSpec(redis, run.keyPrefix, worker, result.partitions);
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
