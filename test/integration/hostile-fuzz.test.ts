import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { DAY_MS } from '../../services/value-segmentation/settings.js';
import { codecFor } from '../../shared/avro/index.js';
import { isReasonCode } from '../../shared/contracts/reason-codes.js';
import { testEndpoints } from '../support/endpoints.js';
import { type FuzzRecord, fuzzPlan, fuzzRecord } from '../support/hostile-fuzz.js';
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
import { compareWithOracle } from '../support/value-segmentation-check.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// 10,000 random records (valid purchases, bit flips, truncations, random bytes, re-encoded
// wrong values, random keys and headers) through a real value-segmentation process on Kafka and
// Redis. The process must never exit, and every record must be accounted for, per partition by
// offset: applied (at or below Redis's applied offset, not dead-lettered) or dead-lettered once
// with a known reason code. Rerun a failure with FUZZ_SEED=<seed from the message>.

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_124);
// The stream ends ten days before today (FUTURE_EVENT is judged against the produce time); a
// rerun on another day shifts every time by whole days. FUZZ_START pins it.
const START = Number(process.env.FUZZ_START ?? Math.floor(Date.now() / DAY_MS) * DAY_MS - 100 * DAY_MS);
const RECORDS = 10_000;
const BATCH = 1000;
const FUTURE_TOLERANCE_MS = 86_400_000;
const seedNote = `fuzz seed ${SEED}, start ${START} (rerun: FUZZ_SEED=${SEED} FUZZ_START=${START} npx vitest run test/integration/hostile-fuzz.test.ts)`;

function partitionOf(key: string): number {
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % PARTITIONS;
}

let redis: Redis;
let scenario: Scenario;
let worker: WorkerProcess | undefined;
let produced: Array<FuzzRecord & { partition: number }> = [];
let purchases: TopicRecord[][] = [];
let deadLetters: TopicRecord[] = [];
let metricsText = '';
let exitedDuringRun: unknown = null;

beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  scenario = await createScenario('fuzz');
  const plans = fc.sample(fuzzPlan, { seed: SEED, numRuns: RECORDS });
  const valid = [
    ...generatePurchaseStream({
      seed: SEED,
      customers: 500,
      events: RECORDS,
      startTime: START,
      spanMs: 90 * DAY_MS,
      malformedShare: 0,
      maxLatenessMs: 0,
    }),
  ];
  // Each plan bends the next purchase of the stream, which keeps its partition (its customer's).
  produced = plans.map((plan, i) => {
    const base = valid[i % valid.length]!;
    return {
      ...fuzzRecord(plan, { key: base.key, value: base.value, event: base.event! }),
      partition: partitionOf(base.key),
    };
  });

  worker = await startScenarioWorker(scenario, 'hostile-fuzz', {
    MAX_BATCH_RECORDS: '1000',
    FUTURE_TOLERANCE_MS: String(FUTURE_TOLERANCE_MS),
  });
  void worker.exited.then((e) => {
    exitedDuringRun = e;
  });
  const producer = testKafka(scenario.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < produced.length; i += BATCH) {
    await producer.send({
      topic: scenario.purchases,
      acks: -1,
      messages: produced.slice(i, i + BATCH).map((r) => ({
        key: r.key,
        value: r.value,
        partition: r.partition,
        headers: { ...r.headers, 'x-fuzz-kind': Buffer.from(r.kind) },
      })),
    });
  }
  // A last valid purchase per partition, later than any fuzzed event time can be (at most its
  // produce time plus the future tolerance): every partition's stream time ends at the same
  // instant, so none waits for a population view that a fuzzed jump ahead made it need.
  const endTime = Date.now() + FUTURE_TOLERANCE_MS;
  const ticks = Array.from({ length: PARTITIONS }, (_, p) => {
    const base = valid.find((r) => partitionOf(r.key) === p)!;
    const event = {
      ...base.event!,
      eventId: `tick-${p}`,
      occurredAt: endTime,
      kind: 'SALE' as const,
      returnOfEventId: null,
    };
    return {
      key: base.key,
      value: codecFor('Purchase').encode(event),
      partition: p,
      headers: { 'x-fuzz-kind': Buffer.from('tick') },
    };
  });
  await producer.send({ topic: scenario.purchases, acks: -1, messages: ticks });
  await producer.disconnect();
  await waitCommittedToEnd(scenario, 90_000);
  purchases = await readWholeTopic(scenario.brokers, scenario.purchases);
  deadLetters = (await readWholeTopic(scenario.brokers, scenario.deadLetters)).flat();
  metricsText = await worker.metrics();
}, 180_000);

afterAll(async () => {
  await killWorker(worker);
  if (scenario) await deleteKeys(redis, scenario.keyPrefix);
  await redis.quit();
});

const header = (r: TopicRecord, name: string) => r.headers[name]?.toString('utf8');

describe(`fuzz: ${RECORDS} random records through value segmentation`, () => {
  it('accounts for every record: applied or dead-lettered once with a known reason, never both', async () => {
    expect(purchases.flat().length, seedNote).toBe(RECORDS + PARTITIONS);
    const deadAt = new Map<string, TopicRecord[]>();
    for (const d of deadLetters) {
      const at = `${header(d, 'vs.dlt.original.partition')}/${header(d, 'vs.dlt.original.offset')}`;
      deadAt.set(at, [...(deadAt.get(at) ?? []), d]);
    }
    const applied = await appliedOffsets(redis, scenario.keyPrefix);
    let appliedCount = 0;
    let deadCount = 0;
    const problems: string[] = [];
    const byReason = new Map<string, number>();
    const byKind = new Map<string, Map<string, number>>();
    purchases.forEach((records, p) => {
      for (const r of records) {
        const copies = deadAt.get(`${p}/${r.offset}`) ?? [];
        const isApplied = applied[p] !== null && BigInt(r.offset) <= applied[p]! && copies.length === 0;
        const kind = header(r, 'x-fuzz-kind') ?? '?';
        if (copies.length > 1) problems.push(`${p}/${r.offset} dead-lettered ${copies.length} times`);
        if (isApplied) appliedCount += 1;
        else if (copies.length === 1) deadCount += 1;
        else problems.push(`${p}/${r.offset} (${kind}) neither applied nor dead-lettered`);
        const outcome = copies.length > 0 ? header(copies[0]!, 'vs.dlt.reason')! : 'applied';
        if (copies.length > 0) {
          if (!isReasonCode(outcome)) problems.push(`${p}/${r.offset} has unknown reason ${outcome}`);
          byReason.set(outcome, (byReason.get(outcome) ?? 0) + 1);
        }
        const row = byKind.get(kind) ?? new Map<string, number>();
        row.set(outcome, (row.get(outcome) ?? 0) + 1);
        byKind.set(kind, row);
      }
    });
    // The report: dead letters by reason, and what each kind of fuzzed record turned into.
    console.info(`${seedNote}\nreasons: ${JSON.stringify(Object.fromEntries([...byReason].sort()))}`);
    for (const [kind, row] of [...byKind].sort()) {
      console.info(`  ${kind}: ${JSON.stringify(Object.fromEntries([...row].sort()))}`);
    }
    expect(problems.slice(0, 20), seedNote).toEqual([]);
    expect(appliedCount + deadCount, seedNote).toBe(RECORDS + PARTITIONS);
    expect(byKind.get('tick')?.get('applied'), seedNote).toBe(PARTITIONS);
    expect(deadLetters.length, seedNote).toBe(deadCount);
    // The processor's own count of applied records agrees: nothing was applied and parked.
    expect(metricSum(metricsText, 'vs_records_applied_total'), seedNote).toBe(appliedCount);
    expect(metricSum(metricsText, 'vs_dead_letters_total'), seedNote).toBe(deadCount);
    // Every partition is applied to its end.
    purchases.forEach((records, p) => {
      expect(applied[p], `partition ${p}; ${seedNote}`).toBe(BigInt(records.at(-1)!.offset));
    });
  });

  it('applies the records that survived as the oracle does', async () => {
    // The oracle reads no headers: a record that names another schema is shown to it as undecodable.
    const forOracle = purchases.map((records) =>
      records.map((r) => {
        const declared = header(r, 'vs.schema');
        const foreign =
          declared !== undefined && declared !== 'Purchase' && declared !== 'valuestream.Purchase';
        return foreign ? { ...r, value: Buffer.alloc(0) } : r;
      }),
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
    expect(comparison.outputs, seedNote).toBeGreaterThan(0);
  });

  it('never lets the worker exit', async () => {
    expect(exitedDuringRun, seedNote).toBeNull();
    expect(worker!.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${worker!.metricsPort}/healthz`)).status).toBe(200);
  });
});
