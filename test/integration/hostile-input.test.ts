import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { RETENTION } from '../../services/retention/worker.js';
import { DAY_MS } from '../../services/value-segmentation/settings.js';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import { sampleConsumerProfile, sampleInteraction, samplePurchase } from '../../shared/contracts/samples.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { testEndpoints } from '../support/endpoints.js';
import { HOSTILE_TOPICS, type HostileRecord, hostileCorpus } from '../support/hostile-corpus.js';
import {
  createTestTopics,
  readWholeTopic,
  type TopicRecord,
  testKafka,
  waitFor,
} from '../support/kafka-test-client.js';
import {
  appliedOffsets,
  createScenario,
  deleteKeys,
  idFreeName,
  killWorker,
  PARTITIONS,
  type Scenario,
  startScenarioWorker,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { committedToEnd, compareWithOracle } from '../support/value-segmentation-check.js';
import { metricSum, startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// The hostile corpus (test/support/hostile-corpus.ts) interleaved with valid purchases, through
// a real value-segmentation process on the shared Kafka and Redis: every bad record lands in
// purchases.dlq exactly once with the reason code of its kind, the valid ones are applied
// exactly as the oracle computes, and the process never exits. Then the same for the
// customer-profiles and interactions topics (and purchases again) through a retention process.

const MAX_RECORD_BYTES = 16_384;

function partitionOf(key: string, partitions = PARTITIONS): number {
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % partitions;
}

const header = (r: TopicRecord, name: string) => r.headers[name]?.toString('utf8');

/** Dead letters of `records` by original partition/offset. */
function deadLettersAt(deadLetters: readonly TopicRecord[]): Map<string, TopicRecord[]> {
  const at = new Map<string, TopicRecord[]>();
  for (const d of deadLetters) {
    const key = `${header(d, 'vs.dlt.original.partition')}/${header(d, 'vs.dlt.original.offset')}`;
    at.set(key, [...(at.get(key) ?? []), d]);
  }
  return at;
}

interface Sent extends HostileRecord {
  readonly id: string;
  readonly partition: number;
}

describe('hostile input through value segmentation', () => {
  let redis: Redis;
  let scenario: Scenario;
  let worker: WorkerProcess | undefined;
  let sent: Sent[] = [];
  let purchases: TopicRecord[][] = [];
  let deadLetters: TopicRecord[] = [];
  let metricsText = '';
  let exitedDuringRun: unknown = null;

  beforeAll(async () => {
    redis = new Redis(testEndpoints().redisUrl);
    scenario = await createScenario('hostile');
    const valid = [
      ...generatePurchaseStream({
        seed: 23,
        customers: 300,
        events: 3000,
        spanMs: 60 * DAY_MS,
        malformedShare: 0,
        maxLatenessMs: 0,
      }),
    ];
    const customersOf = Array.from({ length: PARTITIONS }, () => [] as string[]);
    for (const r of valid) {
      const p = partitionOf(r.key);
      if (!customersOf[p]!.includes(r.key)) customersOf[p]!.push(r.key);
    }
    const firstEventTime = valid[0]!.event!.occurredAt;

    const producer = testKafka(scenario.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let now = firstEventTime;
    const sendValid = (from: number, to: number) => {
      now = valid[to - 1]!.event!.occurredAt;
      return producer.send({
        topic: scenario.purchases,
        acks: -1,
        messages: valid
          .slice(from, to)
          .map((r) => ({ key: r.key, value: r.value, partition: partitionOf(r.key) })),
      });
    };
    // Each round spreads the whole corpus over the partitions, each record about a customer of
    // the partition it is written to, at the stream's current event time.
    const corpusRound = (round: number): Sent[] =>
      Array.from({ length: PARTITIONS }, (_, p) =>
        hostileCorpus('purchases', {
          customerId: customersOf[p]![round % customersOf[p]!.length]!,
          eventTime: now,
          recordTimestamp: Date.now(),
          // Stream time is weeks past the first event after the first third (lateness: 2 days).
          lateEventTime: firstEventTime,
          maxRecordBytes: MAX_RECORD_BYTES,
          idPrefix: `r${round}p${p}`,
          seed: round * 100 + p,
        }).map((r, i) => ({ ...r, id: `r${round}/p${p}/${i}`, partition: p })),
      ).flat();
    const sendCorpus = (records: Sent[]) =>
      producer.send({
        topic: scenario.purchases,
        acks: -1,
        messages: records.map((r) => ({
          key: r.key,
          value: r.value,
          partition: r.partition,
          headers: { ...r.headers, 'x-test-case': Buffer.from(r.id) },
          timestamp: String(r.timestamp),
        })),
      });

    worker = await startScenarioWorker(scenario, 'hostile-input', {
      MAX_RECORD_BYTES: String(MAX_RECORD_BYTES),
    });
    void worker.exited.then((e) => {
      exitedDuringRun = e;
    });
    const third = Math.ceil(valid.length / 3);
    await sendValid(0, third);
    const first = corpusRound(1);
    await sendCorpus(first);
    await sendValid(third, 2 * third);
    const second = corpusRound(2);
    await sendCorpus(second);
    await sendValid(2 * third, valid.length);
    await producer.disconnect();
    sent = [...first, ...second];

    await waitCommittedToEnd(scenario, 90_000);
    purchases = await readWholeTopic(scenario.brokers, scenario.purchases);
    deadLetters = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat();
    metricsText = await worker.metrics();
  }, 150_000);

  afterAll(async () => {
    await killWorker(worker);
    if (scenario) await deleteKeys(redis, scenario.keyPrefix);
    await redis.quit();
  });

  it('dead-letters every bad record exactly once, with the reason code of its kind', () => {
    const located = new Map<string, TopicRecord>();
    for (const r of purchases.flat()) {
      const id = header(r, 'x-test-case');
      if (id) located.set(id, r);
    }
    expect(located.size).toBe(sent.length);
    const got: string[] = [];
    const want: string[] = [];
    for (const s of sent) {
      const original = located.get(s.id)!;
      const copies = deadLetters.filter(
        (d) =>
          header(d, 'vs.dlt.original.partition') === String(original.partition) &&
          header(d, 'vs.dlt.original.offset') === original.offset,
      );
      got.push(`${s.id} ${s.kind}: ${copies.map((c) => header(c, 'vs.dlt.reason')).join(',')}`);
      want.push(`${s.id} ${s.kind}: ${s.reason}`);
      if (copies.length === 1) {
        expect(copies[0]!.value === null ? null : Buffer.from(copies[0]!.value)).toEqual(s.value);
        expect(header(copies[0]!, 'vs.dlt.worker')).toBe(VALUE_SEGMENTATION);
      }
    }
    expect(got).toEqual(want);
    // Nothing else was dead-lettered, and the metric counts each reason as the topic holds it.
    expect(deadLetters.length).toBe(sent.length);
    for (const reason of new Set(sent.map((s) => s.reason))) {
      expect
        .soft(
          metricSum(metricsText, 'vs_dead_letters_total', (labels) => labels.includes(`reason="${reason}"`)),
          reason,
        )
        .toBe(sent.filter((s) => s.reason === reason).length);
    }
  });

  it('applies the valid purchases exactly as the oracle does, up to the end of every partition', async () => {
    // The oracle reads neither headers nor sizes: it is shown every corpus record as undecodable.
    const forOracle = purchases.map((records) =>
      records.map((r) => (r.headers['x-test-case'] ? { ...r, value: Buffer.alloc(0) } : r)),
    );
    const comparison = await compareWithOracle({
      settings: scenario.settings,
      purchases: forOracle,
      segmentChanges: await readWholeTopic(scenario.brokers, scenario.segmentChanges),
      deadLetters: [deadLetters],
      redis,
      keyPrefix: scenario.keyPrefix,
      topicPrefix: scenario.topicPrefix,
    });
    expect(comparison.outputs).toBeGreaterThan(0);
    const applied = await appliedOffsets(redis, scenario.keyPrefix);
    purchases.forEach((records, p) => {
      expect(applied[p], `partition ${p}`).toBe(BigInt(records.at(-1)!.offset));
    });
    const total = purchases.flat().length;
    expect(metricSum(metricsText, 'vs_records_applied_total') + deadLetters.length).toBe(total);
  });

  it('never lets the worker exit', async () => {
    expect(exitedDuringRun).toBeNull();
    expect(worker!.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${worker!.metricsPort}/healthz`)).status).toBe(200);
  });
});

describe('hostile input through retention (purchases, customer-profiles, interactions)', () => {
  const parts = 4;
  const DAY = 86_400_000;
  const T0 = Date.UTC(2024, 2, 4);
  const inputTopics = [
    topicCatalogue.purchases,
    topicCatalogue.interactions,
    topicCatalogue.customerProfiles,
    topicCatalogue.segmentChanges,
  ];
  let redis: Redis;
  let worker: WorkerProcess | undefined;
  let exitedDuringRun: unknown = null;
  let keyPrefix = '';
  const prefix = `${idFreeName('hostile-ret')}.`;
  const topic = (name: string) => prefix + name;
  const sent: Array<HostileRecord & { id: string; partition: number }> = [];
  const logs = new Map<string, TopicRecord[][]>();
  const dead = new Map<string, TopicRecord[]>();
  let metricsText = '';

  beforeAll(async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    redis = new Redis(redisUrl);
    keyPrefix = idFreeName('hostile-ret');
    await createTestTopics(
      kafkaBrokers,
      [
        ...inputTopics.map((t) => topic(t.name)),
        ...inputTopics.map((t) => topic(deadLetterTopicOf(t.name))),
        topic(topicCatalogue.retentionOffers.name),
      ],
      parts,
    );
    const group = idFreeName('hostile-ret');
    worker = await startWorkerProcess(
      'services/retention/main.ts',
      {
        KAFKA_BROKERS: kafkaBrokers,
        REDIS_URL: redisUrl,
        TOPIC_PREFIX: prefix,
        KEY_PREFIX: keyPrefix,
        CONSUMER_GROUP_PREFIX: group,
        TOPIC_PARTITIONS: String(parts),
        LOG_LEVEL: 'info',
        SESSION_TIMEOUT_MS: '10000',
        HEARTBEAT_INTERVAL_MS: '1000',
        MAX_RECORD_BYTES: String(MAX_RECORD_BYTES),
        RETENTION_OFFER_POLICY: 'deploy/retention-offer-policy.json',
      },
      'hostile-retention',
    );
    void worker.exited.then((e) => {
      exitedDuringRun = e;
    });

    // Three customers per partition, each with a profile, a survey and ten daily purchases.
    const customers = Array.from({ length: parts }, () => [] as string[]);
    for (let i = 0; customers.some((c) => c.length < 3); i++) {
      const id = `h-${String(i).padStart(6, '0')}`;
      const p = partitionOf(id, parts);
      if (customers[p]!.length < 3) customers[p]!.push(id);
    }
    const encode = (schema: string, event: object) => codecFor(schema).encode(event as never);
    type Message = {
      key: Buffer | null;
      value: Buffer | null;
      partition: number;
      headers?: Record<string, Buffer>;
      timestamp?: string;
    };
    const batches = new Map<string, Message[]>();
    const add = (name: string, m: Message) => batches.set(name, [...(batches.get(name) ?? []), m]);
    const validAt = (day: number, round: string) => {
      customers.forEach((ids, p) => {
        for (const c of ids) {
          const at = T0 + day * DAY + p * 1000;
          add(topicCatalogue.purchases.name, {
            key: Buffer.from(c),
            partition: p,
            value: encode('Purchase', {
              ...samplePurchase(),
              eventId: `${round}-p-${c}`,
              customerId: c,
              occurredAt: at,
            }),
          });
          add(topicCatalogue.customerProfiles.name, {
            key: Buffer.from(c),
            partition: p,
            value: encode('CustomerProfile', {
              ...sampleConsumerProfile(),
              eventId: `${round}-cp-${c}`,
              customerId: c,
              occurredAt: at,
            }),
          });
          add(topicCatalogue.interactions.name, {
            key: Buffer.from(c),
            partition: p,
            value: encode('Interaction', {
              ...sampleInteraction(),
              eventId: `${round}-i-${c}`,
              customerId: c,
              occurredAt: at,
            }),
          });
        }
      });
    };
    for (let day = 0; day < 5; day++) validAt(day, `d${day}`);
    for (const name of HOSTILE_TOPICS) {
      for (let p = 0; p < parts; p++) {
        hostileCorpus(name, {
          customerId: customers[p]![0]!,
          eventTime: T0 + 4 * DAY,
          recordTimestamp: Date.now(),
          lateEventTime: T0 - 30 * DAY,
          maxRecordBytes: MAX_RECORD_BYTES,
          idPrefix: `ret-p${p}`,
          seed: 1000 + p,
        }).forEach((r, i) => {
          const id = `${name}/p${p}/${i}`;
          sent.push({ ...r, id, partition: p });
          add(name, {
            key: r.key,
            value: r.value,
            partition: p,
            headers: { ...r.headers, 'x-test-case': Buffer.from(id) },
            timestamp: String(r.timestamp),
          });
        });
      }
    }
    for (let day = 5; day < 10; day++) validAt(day, `d${day}`);

    const producer = testKafka(kafkaBrokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const [name, messages] of batches) await producer.send({ topic: topic(name), acks: -1, messages });
    await producer.disconnect();

    // Every record of every input (the worker's own ladder moves on segment-changes too) is
    // either applied or dead-lettered: wait until the counts say so, then read the topics.
    const admin = testKafka(kafkaBrokers).admin();
    await admin.connect();
    const groupId = `${group}.${RETENTION}`;
    try {
      await waitFor(
        'retention to apply or dead-letter every input record',
        async () => {
          for (const t of inputTopics)
            if (!(await committedToEnd(admin, groupId, topic(t.name)))) return false;
          let total = 0n;
          for (const t of inputTopics)
            for (const o of await admin.fetchTopicOffsets(topic(t.name)))
              total += BigInt(o.high) - BigInt(o.low);
          const text = await worker!.metrics();
          const accounted =
            metricSum(text, 'vs_records_applied_total') + metricSum(text, 'vs_dead_letters_total');
          if (BigInt(accounted) !== total) return false;
          metricsText = text;
          return true;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
    } finally {
      await admin.disconnect();
    }
    for (const t of inputTopics) logs.set(t.name, await readWholeTopic(kafkaBrokers, topic(t.name)));
    for (const t of inputTopics) {
      const records = (await readWholeTopic(kafkaBrokers, topic(deadLetterTopicOf(t.name)))).flat();
      for (const [at, copies] of deadLettersAt(records)) dead.set(`${t.name}:${at}`, copies);
    }
  }, 150_000);

  afterAll(async () => {
    await killWorker(worker);
    if (keyPrefix) await deleteKeys(redis, keyPrefix);
    await redis.quit();
  });

  it("dead-letters every bad record of each topic once, in that topic's dead letters, with its reason", () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const s of sent) {
      const original = logs.get(s.topic)![s.partition]!.find((r) => header(r, 'x-test-case') === s.id)!;
      const copies = dead.get(`${s.topic}:${s.partition}/${original.offset}`) ?? [];
      got.push(`${s.id} ${s.kind}: ${copies.map((c) => header(c, 'vs.dlt.reason')).join(',')}`);
      want.push(`${s.id} ${s.kind}: ${s.reason}`);
    }
    expect(got).toEqual(want);
    expect([...dead.values()].flat().length, 'nothing else is dead-lettered').toBe(sent.length);
    expect(new Set(sent.map((s) => s.topic))).toEqual(new Set(HOSTILE_TOPICS));
  });

  it('applies every valid record: Redis has applied each topic to the end of every partition', async () => {
    for (const t of [
      topicCatalogue.purchases,
      topicCatalogue.interactions,
      topicCatalogue.customerProfiles,
    ]) {
      const partitions = logs.get(t.name)!;
      for (let p = 0; p < parts; p++) {
        const last = partitions[p]!.at(-1)!;
        expect(header(last, 'x-test-case'), `${t.name}/${p} ends with a valid record`).toBeUndefined();
        const applied = await redis.hget(partitionKeys(keyPrefix, RETENTION, p).meta, `offset:${t.name}`);
        expect(applied, `${t.name}/${p}`).toBe(last.offset);
      }
    }
    const total = [...logs.values()].flat(2).length;
    expect(metricSum(metricsText, 'vs_records_applied_total')).toBe(total - sent.length);
  });

  it('never lets the worker exit', async () => {
    expect(exitedDuringRun).toBeNull();
    expect(worker!.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${worker!.metricsPort}/healthz`)).status).toBe(200);
  });
});
