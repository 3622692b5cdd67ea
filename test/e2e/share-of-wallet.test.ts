import { afterAll, describe, expect, it } from 'vitest';
import { generateConsumptionTraffic } from '../../services/pos-simulator/consumption.js';
import { defaultShareOfWalletSettings } from '../../services/share-of-wallet/settings.js';
import { SHARE_OF_WALLET } from '../../services/share-of-wallet/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { CustomerProfile, Purchase } from '../../shared/contracts/generated.js';
import { validateCustomerProfile } from '../../shared/contracts/validate-profile.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { computeShareOfWallet } from '../oracle/share-of-wallet-oracle.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { createTestTopics, produceRecords, readWholeTopic, testKafka } from '../support/kafka-test-client.js';
import {
  alertAccuracy,
  comparableFromEvent,
  comparableFromOracle,
  expectSameAlerts,
} from '../support/share-of-wallet-check.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import {
  metricSum,
  startWorkerProcess,
  type WorkerProcess,
  waitForWorker,
} from '../support/worker-process.js';

// Share of wallet end to end: simulated households and businesses with profiles, ~40k
// purchases over 220 days through Kafka into the share-of-wallet worker (a real process on real
// Redis), killed with SIGKILL mid-stream and started again. Its alerts must equal the
// independent batch computation over the same purchases and profiles as Kafka holds them, and
// its /metrics must show alerts by basis and the share-of-wallet histogram.

const PARTITIONS = 12;
const settings = defaultShareOfWalletSettings;
const running: WorkerProcess[] = [];
afterAll(() => {
  for (const w of running) w.kill('SIGKILL');
});

describe('share of wallet end to end', () => {
  it('alerts on under-consumption through Kafka and Redis exactly as the oracle, across a SIGKILL', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const prefix = `${uniqueName('sow-e2e')}.`;
    const group = uniqueName('sow-e2e');
    const topic = (name: string) => prefix + name;
    const purchases = topic(topicCatalogue.purchases.name);
    const profiles = topic(topicCatalogue.customerProfiles.name);
    const alertsTopic = topic(topicCatalogue.underConsumption.name);
    const inputs = [topicCatalogue.purchases, topicCatalogue.customerProfiles, topicCatalogue.segmentChanges];
    await createTestTopics(
      kafkaBrokers,
      [
        ...inputs.map((t) => topic(t.name)),
        ...inputs.map((t) => topic(deadLetterTopicOf(t.name))),
        alertsTopic,
      ],
      PARTITIONS,
    );

    const traffic = generateConsumptionTraffic({ seed: 3, customers: 1000, spanDays: 220 });
    // Invalid profiles go to the dead letters with their reason (a country that is no code).
    const profileCodec = codecFor('CustomerProfile');
    const invalidProfiles = traffic.profiles.slice(0, 5).map((r) => {
      const bad = { ...r.event, eventId: `${r.event.eventId}-bad`, country: 'Germany' };
      return { key: r.key, value: profileCodec.encode(bad) };
    });
    await produceRecords(kafkaBrokers, profiles, [
      ...traffic.profiles.map((r) => ({ key: r.key, value: r.value })),
      ...invalidProfiles,
    ]);

    const env = {
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KEY_PREFIX: uniqueName('sow-e2e'),
      CONSUMER_GROUP_PREFIX: group,
      TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'info',
      SESSION_TIMEOUT_MS: '10000',
      HEARTBEAT_INTERVAL_MS: '1000',
    };
    const groupId = `${group}.${SHARE_OF_WALLET}`;
    const admin = testKafka(kafkaBrokers).admin();
    await admin.connect();
    try {
      const first = await startWorkerProcess('services/share-of-wallet/main.ts', env, 'sow-e2e-first');
      running.push(first);
      // Profiles known before purchases: the oracle's premise (SEMANTICS.md, "Inputs").
      await waitForWorker(first, 'the profiles applied', () => committedToEnd(admin, groupId, profiles), {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      await produceRecords(
        kafkaBrokers,
        purchases,
        traffic.purchases.map((r) => ({ key: r.key, value: r.value })),
      );
      await waitForWorker(
        first,
        'a third of the purchases applied',
        async () => {
          const applied = metricSum(await first.metrics().catch(() => ''), 'vs_records_applied_total');
          return applied >= traffic.profiles.length + traffic.purchases.length / 3 ? applied : false;
        },
        { timeoutMs: 300_000 },
      );
      first.kill('SIGKILL');
      await first.exited;

      const second = await startWorkerProcess('services/share-of-wallet/main.ts', env, 'sow-e2e-second');
      running.push(second);
      await waitForWorker(
        second,
        'the purchases applied to the end',
        () => committedToEnd(admin, groupId, purchases),
        {
          timeoutMs: 480_000,
          intervalMs: 1000,
        },
      );
      const metrics = await second.metrics();
      second.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);

      // The oracle over the records as Kafka holds them, in each partition's order.
      const purchaseCodec = codecFor('Purchase');
      const purchaseLog = await readWholeTopic(kafkaBrokers, purchases);
      const profileLog = await readWholeTopic(kafkaBrokers, profiles);
      const oracle = computeShareOfWallet({
        settings,
        topicPrefix: prefix,
        partitions: purchaseLog.map((records) =>
          records.map((r) => ({
            offset: r.offset,
            customerId: r.key!.toString('utf8'),
            purchase: purchaseCodec.decode(r.value!) as unknown as Purchase,
          })),
        ),
        profiles: profileLog.map((records) =>
          records
            .map((r) => profileCodec.decode(r.value!) as unknown as CustomerProfile)
            .filter((p) => validateCustomerProfile(p) === null),
        ),
      });
      expect(oracle.stalledPartitions).toEqual([]);

      const alertCodec = codecFor('UnderConsumptionDetected');
      const produced = (await readWholeTopic(kafkaBrokers, alertsTopic))
        .flat()
        .map((r) => alertCodec.decode(r.value!) as unknown as Record<string, unknown>);
      const unique = new Map<string, Record<string, unknown>>();
      for (const event of produced) {
        const seen = unique.get(String(event.eventId));
        if (seen) expect(event, 'a repeated alert repeats its content').toEqual(seen);
        unique.set(String(event.eventId), event);
      }
      const alerts = [...unique.values()].map(comparableFromEvent);
      expect(alerts.length).toBeGreaterThan(100);
      expectSameAlerts(alerts, comparableFromOracle(oracle));

      const accuracy = alertAccuracy(alerts, traffic.truth);
      expect(accuracy.recall).toBeGreaterThanOrEqual(0.9);
      expect(accuracy.falseAlertRate).toBeLessThanOrEqual(0.05);

      const deadProfiles = (
        await readWholeTopic(kafkaBrokers, topic(deadLetterTopicOf(topicCatalogue.customerProfiles.name)))
      ).flat();
      expect(deadProfiles.map((r) => r.headers['vs.dlt.reason']?.toString())).toEqual(
        invalidProfiles.map(() => 'INVALID_FIELD'),
      );

      // /metrics: alerts by basis, the share histogram, evaluation outcomes; no customer id.
      const decisions = (basis: string) =>
        metricSum(
          metrics,
          'vs_decisions_total',
          (l) => l.includes('kind="under-consumption"') && l.includes(`label="${basis}"`),
        );
      expect(decisions('household-calories')).toBeGreaterThan(0);
      expect(decisions('headcount-peer-usage')).toBeGreaterThan(0);
      expect(metricSum(metrics, 'vs_share_of_wallet_count')).toBeGreaterThan(1000);
      expect(metrics).toMatch(
        /vs_share_of_wallet_bucket\{le="0\.6",worker="share-of-wallet",basis="household-calories",window="28"\} [1-9]\d*/,
      );
      expect(
        metricSum(metrics, 'vs_share_of_wallet_evaluations_total', (l) => l.includes('outcome="no-profile"')),
      ).toBeGreaterThan(0);
      expect(metrics).not.toMatch(/sow-\d{6}/);
      console.log(
        `share-of-wallet e2e: ${traffic.purchases.length} purchases, ${traffic.profiles.length} profiles, ${alerts.length} alerts (${produced.length - unique.size} repeated after SIGKILL), recall ${accuracy.recall.toFixed(3)}, false alerts ${accuracy.falseAlertRate.toFixed(3)}`,
      );
    } finally {
      await admin.disconnect();
    }
  }, 900_000);
});
