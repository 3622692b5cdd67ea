import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { generateConsumptionTraffic } from '../../services/pos-simulator/consumption.js';
import { parsePeerCounterField } from '../../services/share-of-wallet/peer-segment.js';
import { DAY_MS, defaultShareOfWalletSettings } from '../../services/share-of-wallet/settings.js';
import { SHARE_OF_WALLET } from '../../services/share-of-wallet/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { CustomerProfile, Purchase } from '../../shared/contracts/generated.js';
import { validateCustomerProfile } from '../../shared/contracts/validate-profile.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { topicCatalogue } from '../../shared/topics.js';
import { computeShareOfWallet, type SowOracleRecord } from '../oracle/share-of-wallet-oracle.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import {
  createTestTopics,
  produceRecords,
  readWholeTopic,
  testKafka,
  waitFor,
} from '../support/kafka-test-client.js';
import { findTraces } from '../support/redis-traces.js';
import {
  comparableFromEvent,
  comparableFromOracle,
  expectSameAlerts,
} from '../support/share-of-wallet-check.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// Erasure in share of wallet on real Kafka and Redis: after 100 days of purchases, two households
// and three businesses ask to be forgotten; one business comes back with a newer profile. The
// worker's alerts equal the oracle's (which learns the erasures where they stand in each
// partition), its peer counters equal the oracle's final peer histograms (without the erased),
// no alert after the erasure names an erased customer (the re-admitted one excepted), and no
// Redis key or value holds an erased customer's id.

const PARTITIONS = 4;
const settings = defaultShareOfWalletSettings;
const running: WorkerProcess[] = [];
afterAll(() => {
  for (const w of running) w.kill('SIGKILL');
});

describe('share of wallet erasure', () => {
  it('forgets erased customers in Redis, the peer counters and every later alert, and re-admits on a newer profile', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const prefix = `${uniqueName('sow-er')}.`;
    const keyPrefix = uniqueName('sow-er');
    const group = uniqueName('sow-er');
    const topic = (name: string) => prefix + name;
    const purchases = topic(topicCatalogue.purchases.name);
    const profiles = topic(topicCatalogue.customerProfiles.name);
    const erasures = topic(topicCatalogue.customerErasures.name);
    await createTestTopics(
      kafkaBrokers,
      [topicCatalogue.purchases, topicCatalogue.customerProfiles, topicCatalogue.segmentChanges]
        .map((t) => topic(t.name))
        .concat(topic(topicCatalogue.underConsumption.name)),
      PARTITIONS,
    );

    // Ids unique to this run, so that a scan of the whole of Redis means something.
    const idPrefix = `${keyPrefix.slice(-6)}-c`;
    const traffic = generateConsumptionTraffic({
      seed: 23,
      customers: 400,
      spanDays: 160,
      customerIdPrefix: idPrefix,
    });
    const start = Math.min(...traffic.purchases.map((r) => r.event.occurredAt));
    const cut = Math.floor((start + 100 * DAY_MS) / DAY_MS) * DAY_MS + DAY_MS / 3;
    const truths = [...traffic.truth.values()];
    const usable = truths.filter((t) => t.profileStatus === 'ok');
    const households = usable
      .filter((t) => t.customerType === 'CONSUMER' && t.buyer === 'partial')
      .slice(0, 2);
    const businesses = usable.filter((t) => t.customerType === 'BUSINESS').slice(0, 3);
    const erased = [...households, ...businesses].map((t) => t.customerId);
    const readmitted = businesses[2]!.customerId;
    const gone = erased.filter((id) => id !== readmitted);

    const env = {
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KEY_PREFIX: keyPrefix,
      CONSUMER_GROUP_PREFIX: group,
      TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'info',
    };
    const groupId = `${group}.${SHARE_OF_WALLET}`;
    const admin = testKafka(kafkaBrokers).admin();
    await admin.connect();
    const redis = new Redis(redisUrl);
    try {
      const worker = await startWorkerProcess('services/share-of-wallet/main.ts', env, 'sow-erasure');
      running.push(worker);
      const settled = (what: string, t: string) =>
        waitFor(what, () => committedToEnd(admin, groupId, t), { timeoutMs: 300_000, intervalMs: 500 });

      await produceRecords(
        kafkaBrokers,
        profiles,
        traffic.profiles.map((r) => ({ key: r.key, value: r.value })),
      );
      await settled('the profiles applied', profiles);
      const before = traffic.purchases.filter((r) => r.event.occurredAt < cut);
      const after = traffic.purchases.filter((r) => r.event.occurredAt >= cut);
      await produceRecords(
        kafkaBrokers,
        purchases,
        before.map((r) => ({ key: r.key, value: r.value })),
      );
      await settled('the purchases before the cut applied', purchases);

      const erasureCodec = codecFor('CustomerErasureRequested');
      await produceRecords(
        kafkaBrokers,
        erasures,
        erased.map((customerId, i) => ({
          key: customerId,
          value: erasureCodec.encode({ eventId: `erase-${i}`, customerId, occurredAt: cut }),
        })),
      );
      await settled('the erasures applied', erasures);
      const profileCodec = codecFor('CustomerProfile');
      const original = traffic.profiles.find((r) => r.key === readmitted)!.event;
      const comeback: CustomerProfile = {
        ...original,
        eventId: `${original.eventId}-back`,
        occurredAt: cut + 1,
      };
      // Also an old profile of an erased household, not newer than the request: skipped.
      const stale = traffic.profiles.find((r) => r.key === gone[0])!.event;
      await produceRecords(kafkaBrokers, profiles, [
        { key: readmitted, value: profileCodec.encode(comeback) },
        {
          key: gone[0]!,
          value: profileCodec.encode({ ...stale, eventId: `${stale.eventId}-old`, occurredAt: cut }),
        },
      ]);
      await settled('the profiles after the erasure applied', profiles);
      await produceRecords(
        kafkaBrokers,
        purchases,
        after.map((r) => ({ key: r.key, value: r.value })),
      );
      await settled('every purchase applied', purchases);
      worker.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);

      // The oracle, with each partition's records in the order the worker consumed them.
      const purchaseCodec = codecFor('Purchase');
      const beforeIds = new Set(before.map((r) => r.event.eventId));
      const purchaseLog = await readWholeTopic(kafkaBrokers, purchases);
      const profileLog = (await readWholeTopic(kafkaBrokers, profiles)).map((records) =>
        records.map((r) => profileCodec.decode(r.value!) as unknown as CustomerProfile),
      );
      const erasureLog = await readWholeTopic(kafkaBrokers, erasures);
      const laterProfiles = new Set([comeback.eventId, `${stale.eventId}-old`]);
      const partitions = purchaseLog.map((records, p): SowOracleRecord[] => {
        const asPurchase = (r: (typeof records)[number]): SowOracleRecord => ({
          offset: r.offset,
          customerId: r.key!.toString('utf8'),
          purchase: purchaseCodec.decode(r.value!) as unknown as Purchase,
        });
        const decoded = records.map(asPurchase);
        const isBefore = (r: SowOracleRecord) => 'purchase' in r && beforeIds.has(r.purchase!.eventId);
        return [
          ...decoded.filter(isBefore),
          ...(erasureLog[p] ?? []).map((r) => {
            const request = erasureCodec.decode(r.value!) as unknown as {
              eventId: string;
              occurredAt: number;
            };
            return { offset: r.offset, customerId: r.key!.toString('utf8'), erasure: request };
          }),
          ...(profileLog[p] ?? [])
            .filter((x) => laterProfiles.has(x.eventId))
            .map((profile, i) => ({ offset: `late-${i}`, customerId: profile.customerId, profile })),
          ...decoded.filter((r) => !isBefore(r)),
        ];
      });
      const oracle = computeShareOfWallet({
        settings,
        topicPrefix: prefix,
        partitions,
        profiles: profileLog.map((list) =>
          list.filter((x) => !laterProfiles.has(x.eventId) && validateCustomerProfile(x) === null),
        ),
      });
      expect(oracle.stalledPartitions).toEqual([]);

      const alertCodec = codecFor('UnderConsumptionDetected');
      const produced = (await readWholeTopic(kafkaBrokers, topic(topicCatalogue.underConsumption.name)))
        .flat()
        .map((r) => alertCodec.decode(r.value!) as unknown as Record<string, unknown>);
      const alerts = [...new Map(produced.map((a) => [String(a.eventId), comparableFromEvent(a)])).values()];
      expectSameAlerts(alerts, comparableFromOracle(oracle));
      // The erased were there before (alerted or counted), and never after the erasure.
      expect(
        alerts.filter((a) => erased.includes(a.customerId) && a.occurredAt <= cut).length,
      ).toBeGreaterThan(0);
      expect(alerts.filter((a) => gone.includes(a.customerId) && a.occurredAt > cut)).toEqual([]);
      // Without the erasures the two businesses that stay gone would still count among the peers:
      // one cell per unit (minutes, GB) of the 28-day window each (160 days never make the two
      // 91-day windows of history); the re-admitted one counts in both, from its new history.
      const unerased = computeShareOfWallet({
        settings,
        topicPrefix: prefix,
        partitions: partitions.map((list) => list.filter((r) => !('erasure' in r))),
        profiles: profileLog.map((list) =>
          list.filter((x) => !laterProfiles.has(x.eventId) && validateCustomerProfile(x) === null),
        ),
      });
      const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      expect(total(unerased.peerCounts) - total(oracle.peerCounts)).toBe(4);

      // One ErasureCompleted per request, naming nothing but the id.
      const completedCodec = codecFor('ErasureCompleted');
      const completed = (await readWholeTopic(kafkaBrokers, topic(topicCatalogue.erasuresCompleted.name)))
        .flat()
        .map((r) => completedCodec.decode(r.value!) as unknown as Record<string, unknown>);
      expect(completed.map((c) => c.customerId).sort()).toEqual([...erased].sort());
      expect(completed.every((c) => c.worker === SHARE_OF_WALLET && c.hadState === true)).toBe(true);
      expect(completed.some((c) => Number(c.populationCountersRemoved) > 0)).toBe(true);

      // The peer counters in Redis, summed over partitions, are the oracle's final histograms.
      const counted: Record<string, number> = {};
      for (let p = 0; p < PARTITIONS; p += 1) {
        const hash = await redis.hgetall(partitionKeys(keyPrefix, SHARE_OF_WALLET, p).counters);
        for (const [field, value] of Object.entries(hash)) {
          const parsed = parsePeerCounterField(field);
          if (parsed === null || Number(value) === 0) continue;
          const key = `${parsed.windowDays}|${parsed.unit}|${parsed.segment}|${parsed.cell}`;
          counted[key] = (counted[key] ?? 0) + Number(value);
        }
      }
      expect(Object.keys(counted).length).toBeGreaterThan(0);
      expect(counted).toEqual(oracle.peerCounts);

      // No key or value anywhere in Redis holds an erased customer's id (the re-admitted one is back).
      expect((await findTraces(redis, [readmitted], keyPrefix)).length).toBeGreaterThan(0);
      expect(await findTraces(redis, gone, keyPrefix)).toEqual([]);
      console.log(
        `share-of-wallet erasure: ${traffic.purchases.length} purchases, ${alerts.length} alerts, ${erased.length} erased (1 re-admitted), ${await redis.dbsize()} Redis keys scanned`,
      );
    } finally {
      redis.disconnect();
      await admin.disconnect();
    }
  }, 900_000);
});
