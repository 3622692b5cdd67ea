import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { DAY_MS } from '../../services/value-segmentation/settings.js';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { ReasonCode } from '../../shared/contracts/reason-codes.js';
import { testEndpoints } from '../support/endpoints.js';
import { readWholeTopic, type TopicRecord, testKafka } from '../support/kafka-test-client.js';
import {
  appliedOffsets,
  createScenario,
  deleteKeys,
  killWorker,
  PARTITIONS,
  type Scenario,
  startScenarioWorker,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// Poison records interleaved with valid purchases on the same partitions: every one is parked
// in <prefix>purchases.dlq exactly once, byte for byte, with the vs.dlt.* headers and the reason
// code of its kind (schemas/dead-letter-headers.md); the partitions go on past them and the
// worker process never exits.

const MAX_RECORD_BYTES = 16_384;
const codec = codecFor('Purchase');

interface Bad {
  readonly id: string;
  readonly kind: string;
  readonly reason: string;
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Record<string, Buffer>;
  readonly timestamp?: string;
  /** Asked for by the brief (first test) or further contract cases (second test). */
  readonly group: 'brief' | 'contract';
}

function partitionOf(key: string): number {
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % PARTITIONS;
}

function undecodable(value: Buffer): boolean {
  try {
    codec.decode(value);
    return false;
  } catch {
    return true;
  }
}

let redis: Redis;
let scenario: Scenario;
let worker: WorkerProcess | undefined;
let bad: Bad[] = [];
const located = new Map<string, TopicRecord>();
let deadLetters: TopicRecord[] = [];
let metricsText = '';
let totalRecords = 0;
let exitedDuringRun: unknown = null;

beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  scenario = await createScenario('dlq');

  const valid = [
    ...generatePurchaseStream({
      seed: 17,
      customers: 300,
      events: 3000,
      spanMs: 60 * DAY_MS,
      malformedShare: 0,
      maxLatenessMs: 0,
    }),
  ];
  expect(Math.max(...valid.map((r) => r.value.length + r.key.length))).toBeLessThan(MAX_RECORD_BYTES);
  const customersOf = Array.from({ length: PARTITIONS }, () => [] as string[]);
  for (const r of valid) {
    const p = partitionOf(r.key);
    if (!customersOf[p]!.includes(r.key)) customersOf[p]!.push(r.key);
  }
  const template = valid[0]!.event!;
  const firstEventTime = template.occurredAt;
  // Poison records carry the event time of the stream where they are inserted, so that only
  // their own defect (not lateness) can reject them; the late ones set theirs explicitly.
  let now = firstEventTime;

  let n = 0;
  const make = (
    group: Bad['group'],
    kind: string,
    reason: string,
    partition: number,
    build: (customerId: string) => { key: Buffer | null; value: Buffer; timestamp?: string },
  ): Bad => {
    n += 1;
    const customerId = customersOf[partition]![n % customersOf[partition]!.length]!;
    const id = `${kind}#${n}`;
    const built = build(customerId);
    return {
      id,
      kind,
      reason,
      partition,
      ...built,
      group,
      // Original headers must survive byte for byte, binary ones too.
      headers: { 'x-test-case': Buffer.from(id), 'x-binary': Buffer.from([0, 255, n % 256]) },
    };
  };
  const purchase = (customerId: string, changes: Partial<Purchase> = {}): Purchase => ({
    ...template,
    eventId: `bad-${n}`,
    customerId,
    occurredAt: now,
    ...changes,
  });
  const encoded = (p: Purchase) => codec.encode(p);
  const line = template.lines[0]!;

  const badSet = (round: number): Bad[] => {
    const p = (i: number) => (i * 5 + round * 3) % PARTITIONS;
    const set: Bad[] = [
      make('brief', 'random-bytes', ReasonCode.AVRO_DECODE, p(0), (c) => {
        for (;;) {
          // None of 200,000 random buffers passed for Avro when measured (schemas/dead-letter-headers.md).
          const value = randomBytes(40);
          if (undecodable(value)) return { key: Buffer.from(c), value };
        }
      }),
      make('brief', 'truncated', ReasonCode.TRUNCATED_AVRO, p(1), (c) => {
        const full = encoded(purchase(c));
        const value = Buffer.from(full.subarray(0, Math.floor(full.length / 2)));
        expect(undecodable(value)).toBe(true);
        return { key: Buffer.from(c), value };
      }),
      make('brief', 'no-key', ReasonCode.MISSING_KEY, p(2), (c) => ({
        key: null,
        value: encoded(purchase(c)),
      })),
      make('brief', 'negative-quantity', ReasonCode.NEGATIVE_QUANTITY, p(3), (c) => ({
        key: Buffer.from(c),
        value: encoded(purchase(c, { lines: [{ ...line, quantity: -2 }] })),
      })),
      make('brief', 'unknown-currency', ReasonCode.UNKNOWN_CURRENCY, p(4), (c) => ({
        key: Buffer.from(c),
        value: encoded(purchase(c, { currency: 'ZZZ' })),
      })),
      make('brief', 'oversized', ReasonCode.OVERSIZED_RECORD, p(5), (c) => {
        // A valid purchase in every other respect (under 500 lines), only too large.
        const lines = Array.from({ length: 200 }, (_, i) => ({
          ...line,
          sku: `SKU-${i}-${'x'.repeat(200)}`,
        }));
        const value = encoded(purchase(c, { lines }));
        expect(value.length).toBeGreaterThan(MAX_RECORD_BYTES);
        return { key: Buffer.from(c), value };
      }),
      make('contract', 'key-mismatch', ReasonCode.KEY_MISMATCH, p(6), (c) => ({
        key: Buffer.from(c),
        value: encoded(purchase(`${c}9`)),
      })),
      make('contract', 'empty-sku', ReasonCode.INVALID_FIELD, p(7), (c) => ({
        key: Buffer.from(c),
        value: encoded(purchase(c, { lines: [{ ...line, sku: '' }] })),
      })),
      make('contract', 'negative-price', ReasonCode.ABSURD_AMOUNT, p(8), (c) => ({
        key: Buffer.from(c),
        value: encoded(purchase(c, { lines: [{ ...line, unitPriceMinor: -100 }] })),
      })),
      make('contract', 'too-many-lines', ReasonCode.TOO_MANY_LINES, p(9), (c) => ({
        key: Buffer.from(c),
        value: encoded(
          purchase(c, {
            lines: Array.from({ length: 501 }, () => ({
              ...line,
              sku: 'S',
              category: 'c',
              marginMinor: null,
              kcalPerUnit: null,
              usage: null,
            })),
          }),
        ),
      })),
      make('contract', 'future-event', ReasonCode.FUTURE_EVENT, p(10), (c) => ({
        key: Buffer.from(c),
        value: encoded(purchase(c, { occurredAt: Date.now() + 30 * DAY_MS })),
        timestamp: String(Date.now()),
      })),
    ];
    if (round === 2) {
      // Stream time is weeks past the first event by now: older than the allowed lateness.
      for (const q of [p(11), p(0)]) {
        set.push(
          make('brief', 'late-event', ReasonCode.LATE_EVENT, q, (c) => ({
            key: Buffer.from(c),
            value: encoded(purchase(c, { occurredAt: firstEventTime })),
          })),
        );
      }
    }
    return set;
  };

  // Valid thirds with poison in between, on the same partitions, in this order.
  const third = Math.ceil(valid.length / 3);
  const producer = testKafka(scenario.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
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
  const sendBad = (records: Bad[]) =>
    producer.send({
      topic: scenario.purchases,
      acks: -1,
      messages: records.map((b) => ({
        key: b.key,
        value: b.value,
        partition: b.partition,
        headers: b.headers,
        ...(b.timestamp === undefined ? {} : { timestamp: b.timestamp }),
      })),
    });
  // The worker runs while the records arrive.
  worker = await startScenarioWorker(scenario, 'dead-letters', {
    MAX_RECORD_BYTES: String(MAX_RECORD_BYTES),
  });
  void worker.exited.then((e) => {
    exitedDuringRun = e;
  });
  await sendValid(0, third);
  const first = badSet(1);
  await sendBad(first);
  await sendValid(third, 2 * third);
  const second = badSet(2);
  await sendBad(second);
  await sendValid(2 * third, valid.length);
  await producer.disconnect();
  bad = [...first, ...second];
  totalRecords = valid.length + bad.length;

  await waitCommittedToEnd(scenario, 90_000);
  const purchases = await readWholeTopic(scenario.brokers, scenario.purchases);
  for (const r of purchases.flat()) {
    const id = r.headers['x-test-case']?.toString();
    if (id) located.set(id, r);
  }
  deadLetters = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat();
  metricsText = await worker.metrics();
}, 150_000);

afterAll(async () => {
  await killWorker(worker);
  if (scenario) await deleteKeys(redis, scenario.keyPrefix);
  await redis.quit();
});

function header(r: TopicRecord, name: string): string | undefined {
  return r.headers[name]?.toString('utf8');
}

function checkParked(cases: Bad[]): void {
  for (const b of cases) {
    const original = located.get(b.id);
    expect(original, `${b.id} was produced`).toBeDefined();
    const copies = deadLetters.filter(
      (d) =>
        header(d, 'vs.dlt.original.partition') === String(original!.partition) &&
        header(d, 'vs.dlt.original.offset') === original!.offset,
    );
    // Exactly once, with the reason of its kind (soft: every kind is reported, not only the first).
    expect.soft(copies.length, `${b.kind} (${b.id}) dead-lettered exactly once`).toBe(1);
    const copy = copies[0];
    if (!copy) continue;
    expect.soft(header(copy, 'vs.dlt.reason'), `reason of ${b.kind}`).toBe(b.reason);
    expect(copy.key === null ? null : Buffer.from(copy.key)).toEqual(b.key);
    expect(Buffer.from(copy.value!).equals(b.value), `${b.id} value bytes`).toBe(true);
    expect(copy.headers['x-test-case']).toEqual(b.headers['x-test-case']);
    expect(copy.headers['x-binary']).toEqual(b.headers['x-binary']);
    expect(header(copy, 'vs.dlt.original.topic')).toBe(scenario.purchases);
    expect(header(copy, 'vs.dlt.original.partition')).toBe(String(b.partition));
    expect(header(copy, 'vs.dlt.original.offset')).toBe(original!.offset);
    expect(header(copy, 'vs.dlt.original.timestamp')).toBe(original!.timestamp);
    expect(header(copy, 'vs.dlt.worker')).toBe(VALUE_SEGMENTATION);
    expect(header(copy, 'vs.dlt.consumer.group')).toBe(scenario.groupId);
    expect(Number(header(copy, 'vs.dlt.failed.at'))).toBeGreaterThan(0);
    // The message says why, never what: no customer id of the record in it.
    const message = header(copy, 'vs.dlt.message') ?? '';
    expect(message.length).toBeGreaterThan(0);
    if (b.key) expect(message).not.toContain(b.key.toString());
  }
}

describe('dead letters', () => {
  it('parks each poison record of the brief once, byte for byte, and goes on with the valid ones', async () => {
    const cases = bad.filter((b) => b.group === 'brief');
    expect(new Set(cases.map((b) => b.kind)).size).toBe(7);
    checkParked(cases);

    // Processing went on: every partition's last record (a valid one) is applied in Redis and committed.
    const purchases = await readWholeTopic(scenario.brokers, scenario.purchases);
    const applied = await appliedOffsets(redis, scenario.keyPrefix);
    purchases.forEach((records, p) => {
      const last = records[records.length - 1]!;
      expect(last.headers['x-test-case'], `last record of partition ${p} is a valid one`).toBeUndefined();
      expect(applied[p], `Redis applied offset of partition ${p}`).toBe(BigInt(last.offset));
    });
    // Every record is accounted for: applied or dead-lettered, nothing twice.
    const appliedTotal = metricSum(metricsText, 'vs_records_applied_total');
    const deadTotal = metricSum(metricsText, 'vs_dead_letters_total');
    expect(appliedTotal + deadTotal).toBe(totalRecords);
    expect(deadTotal).toBe(deadLetters.length);

    // The worker never exited and is still healthy.
    expect(exitedDuringRun).toBeNull();
    expect(worker!.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${worker!.metricsPort}/healthz`)).status).toBe(200);
  });

  it('parks the further contract violations (key mismatch, invalid field, absurd amount, too many lines, future) the same way', () => {
    const cases = bad.filter((b) => b.group === 'contract');
    checkParked(cases);
    // Nothing but the poison records is dead-lettered.
    expect.soft(deadLetters.length, 'dead letters = poison records').toBe(bad.length);
    for (const reason of new Set(bad.map((b) => b.reason))) {
      const expected = bad.filter((b) => b.reason === reason).length;
      expect
        .soft(
          metricSum(metricsText, 'vs_dead_letters_total', (labels) => labels.includes(`reason="${reason}"`)),
          `vs_dead_letters_total{reason="${reason}"}`,
        )
        .toBe(expected);
    }
  });
});
