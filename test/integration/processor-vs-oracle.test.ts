import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import type { PurchaseLike } from '../../services/value-segmentation/purchase-value.js';
import { DAY_MS, valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { decodeState } from '../../services/value-segmentation/state-codec.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import type { StepGuard } from '../../shared/runtime/partition-processor.js';
import type { RawRecord } from '../../shared/runtime/raw-record.js';
import type { OutboxEntry } from '../../shared/runtime/state-store.js';
import { computeValueSegmentation, type OracleRecord } from '../oracle/value-segmentation-oracle.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { valueSegmentationProcessor } from '../support/processor-harness.js';
import { findTraces } from '../support/redis-traces.js';
import { seededRandom } from '../support/seeded-random.js';

// The partition processor on real Redis (its Lua functions, fencing and offsets), driven the
// way Kafka would drive it but under our control: random batch sizes, partitions interleaved
// in random order, re-deliveries, simulated crashes between apply and produce, and pauses
// at the population barrier. Its outputs and final state must equal the independent oracle.

const PARTITIONS = 4;
const settings = valueSegmentationSettings({
  windowsDays: [7, 30],
  rankingWindowDays: 30,
  allowedLatenessMs: 2 * DAY_MS,
  refreshPeriodMs: DAY_MS,
  publishDelayMs: 2 * DAY_MS,
  top2Share: 0.05,
});

function partitionOf(key: string): number {
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % PARTITIONS;
}

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

/**
 * Erasure requests for a few customers at random places in their partitions, some followed by a
 * profile as old as the request (no re-admission) and some by a newer one (re-admission). Table
 * records are numbered apart from purchases so that every offset names one record.
 */
function withErasures(
  raw: RawRecord[][],
  oracleInput: OracleRecord[][],
  random: () => number,
): { erasedForGood: Set<string>; requests: number } {
  const erasureCodec = codecFor('CustomerErasureRequested');
  const profileCodec = codecFor('CustomerProfile');
  const erasedForGood = new Set<string>();
  let tableOffset = 0;
  let requests = 0;
  const insert = (
    p: number,
    at: number,
    topic: 'customer-erasures' | 'customer-profiles',
    customerId: string,
    occurredAt: number,
  ) => {
    const offset = String(tableOffset++);
    const value =
      topic === 'customer-erasures'
        ? erasureCodec.encode({ eventId: `erase-${offset}`, customerId, occurredAt } as never)
        : profileCodec.encode({
            eventId: `crm-${offset}`,
            customerId,
            occurredAt,
            customerType: 'CONSUMER',
            displayName: null,
            householdMembers: [],
            business: null,
            marketingConsent: true,
            signedUpAt: occurredAt,
            country: 'DE',
          } as never);
    raw[p]!.splice(at, 0, {
      topic,
      logicalTopic: topic,
      partition: p,
      offset,
      key: Buffer.from(customerId),
      value,
      headers: {},
      timestamp: String(occurredAt),
    });
    oracleInput[p]!.splice(at, 0, { topic, offset, customerId, occurredAt });
  };
  for (let p = 0; p < raw.length; p++) {
    const ids = [...new Set(raw[p]!.map((r) => r.key!.toString()))].sort();
    for (let n = 0; n < 3 && ids.length > 0; n++) {
      // Distinct customers: each has one request and one profile after it.
      const customerId = ids.splice(Math.floor(random() * ids.length), 1)[0]!;
      const at = Math.floor(raw[p]!.length * (0.2 + 0.6 * random()));
      // The request's time: about the purchases' around it (any time will do: it moves nothing).
      const erasedAt = Number(raw[p]![at]?.timestamp ?? raw[p]![raw[p]!.length - 1]!.timestamp);
      insert(p, at, 'customer-erasures', customerId, erasedAt);
      requests += 1;
      const later = at + 1 + Math.floor(random() * (raw[p]!.length - at - 1));
      if (random() < 0.5) {
        insert(p, later, 'customer-profiles', customerId, erasedAt + 1);
      } else {
        insert(p, later, 'customer-profiles', customerId, erasedAt);
        erasedForGood.add(customerId);
      }
    }
  }
  // Offsets grow with the position in each topic, as Kafka's do (a smaller one is a re-delivery).
  for (let p = 0; p < raw.length; p++) {
    const next = new Map<string, number>();
    raw[p]!.forEach((record, i) => {
      if (record.topic === 'purchases') return;
      const offset = String(1_000_000 + (next.get(record.topic) ?? 0));
      next.set(record.topic, (next.get(record.topic) ?? 0) + 1);
      raw[p]![i] = { ...record, offset };
      oracleInput[p]![i] = { ...oracleInput[p]![i]!, offset };
    });
  }
  return { erasedForGood, requests };
}

/** Every key and value under the prefix that holds one of the ids. */
async function runScenario(
  seed: number,
  options: {
    crashRate: number;
    redeliveryRate: number;
    erasures?: boolean;
    /** Acknowledge half the produced outboxes with the next apply (as the consumer does with records buffered), and crash after some produces. */
    deferAcks?: boolean;
  },
) {
  const random = seededRandom(seed);
  const worker = createValueSegmentationWorker(settings);
  const prefix = uniqueName('proc-oracle');
  const purchaseCodec = codecFor('Purchase');
  const raw: RawRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  const oracleInput: OracleRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const record of generatePurchaseStream({
    seed,
    customers: 120,
    events: 2500,
    spanMs: 150 * DAY_MS,
    maxLatenessMs: 3 * DAY_MS,
    lateShare: 0.05,
    malformedShare: 0.02,
  })) {
    const p = partitionOf(record.key);
    const offset = String(raw[p]!.length * 2 + 5); // offsets are not contiguous (PITFALLS 2)
    raw[p]!.push({
      topic: 'purchases',
      logicalTopic: 'purchases',
      partition: p,
      offset,
      key: Buffer.from(record.key),
      value: record.value,
      headers: {},
      timestamp: String(record.emitAt),
    });
    let purchase: PurchaseLike | null = null;
    try {
      const decoded = purchaseCodec.decode(record.value) as unknown as PurchaseLike;
      purchase =
        worker.inputs[0]!.validate(decoded) === null && decoded.customerId === record.key ? decoded : null;
    } catch {
      purchase = null;
    }
    oracleInput[p]!.push({ offset, customerId: record.key, purchase });
  }

  // Re-delivery and crashes position by the purchases' applied offset: erasures run without them.
  const erasures = options.erasures ? withErasures(raw, oracleInput, random) : null;

  const functions = new FunctionCaller(redis);
  await functions.load();
  const outputCodec = codecFor('SegmentChanged');
  const makeProcessor = (p: number) =>
    valueSegmentationProcessor({
      worker,
      redis,
      functions,
      keyPrefix: prefix,
      partition: p,
      partitionCount: PARTITIONS,
      maxBatchRecords: 97,
      timerLoadLimit: 50,
    });
  const processors = Array.from({ length: PARTITIONS }, (_, p) => makeProcessor(p));
  const position = Array.from({ length: PARTITIONS }, () => 0);
  const produced: OutboxEntry[] = [];
  const guard: StepGuard = { check: () => undefined, heartbeat: async () => undefined };
  let crashes = 0;
  let redeliveries = 0;
  let waits = 0;

  let roundsWithoutProgress = 0;
  while (position.some((pos, p) => pos < raw[p]!.length)) {
    if (roundsWithoutProgress > 50)
      throw new Error('no progress: partitions stalled at the population barrier');
    let progressed = false;
    const order = [...Array(PARTITIONS).keys()].sort(() => random() - 0.5);
    for (const p of order) {
      let processor = processors[p]!;
      if (!processor.isClaimed) {
        const leftovers = await processor.claim();
        produced.push(...leftovers);
        await processor.ackOutbox(leftovers.length);
        const applied = processor.appliedOffset('purchases');
        let next = applied === null ? 0 : raw[p]!.findIndex((r) => BigInt(r.offset) > applied);
        if (next < 0) next = raw[p]!.length;
        if (next > 0 && random() < options.redeliveryRate) {
          next = Math.max(0, next - 1 - Math.floor(random() * 20));
          redeliveries += 1;
        }
        position[p] = next;
      }
      if (position[p]! >= raw[p]!.length) continue;
      const size = 1 + Math.floor(random() * 250);
      const chunk = raw[p]!.slice(position[p], position[p]! + size);
      const outcome = await processor.process(chunk, guard);
      if (random() < options.crashRate) {
        // Crash after the Redis step, before producing: the outbox must survive for the next owner.
        crashes += 1;
        processors[p] = makeProcessor(p);
        processor = processors[p]!;
        continue;
      }
      produced.push(...outcome.outbox);
      if (options.deferAcks && random() < 0.5) {
        await processor.ackOutbox(outcome.outbox.length, true);
        if (random() < options.crashRate) {
          // Crash after produce, its acknowledgement still waiting for the next apply: the next
          // owner produces those entries again (duplicates with the same ids), never loses one.
          crashes += 1;
          processors[p] = makeProcessor(p);
          processor = processors[p]!;
          continue;
        }
      } else {
        await processor.ackOutbox(outcome.outbox.length);
      }
      if (outcome.kind === 'blocked') {
        waits += 1;
        const at =
          outcome.resumeOffset === null
            ? raw[p]!.length
            : raw[p]!.findIndex((r) => r.offset === outcome.resumeOffset);
        if (at > position[p]!) progressed = true;
        position[p] = at;
      } else {
        position[p] = position[p]! + chunk.length;
        progressed = true;
      }
    }
    roundsWithoutProgress = progressed ? 0 : roundsWithoutProgress + 1;
  }

  // Acknowledgements still deferred go now; then every outbox is empty.
  for (const processor of processors) await processor.ackOutbox(0);
  for (let p = 0; p < PARTITIONS; p++)
    expect(await redis.llen(partitionKeys(prefix, worker.name, p).outbox), `outbox of ${p}`).toBe(0);

  const oracle = computeValueSegmentation({ settings, partitions: oracleInput });
  expect(oracle.stalledPartitions).toEqual([]);

  // Outputs: the same set of decision ids, each with the same content; repeats carry one id.
  const byId = new Map<string, Record<string, unknown>>();
  let duplicates = 0;
  for (const entry of produced.filter((e) => e.topic === 'segment-changes')) {
    const event = outputCodec.decode(Buffer.from(entry.value!, 'base64')) as unknown as Record<
      string,
      unknown
    >;
    const id = String(event.eventId);
    if (byId.has(id)) {
      duplicates += 1;
      expect(event).toEqual(byId.get(id));
    }
    byId.set(id, event);
  }
  const streamed = [...byId.values()]
    .map((e) => `${e.eventId} ${e.customerId} ${e.fromSegment}->${e.toSegment} ${e.cause} @${e.occurredAt}`)
    .sort();
  const expected = oracle.segmentChanges
    .map((e) => `${e.eventId} ${e.customerId} ${e.fromSegment}->${e.toSegment} ${e.cause} @${e.occurredAt}`)
    .sort();
  expect(streamed).toEqual(expected);

  // Final state: every customer's tier equals the oracle's.
  const finalTiers = new Map<string, string>();
  for (let p = 0; p < PARTITIONS; p++) {
    const states = await redis.hgetall(partitionKeys(prefix, worker.name, p).customers);
    for (const [id, encoded] of Object.entries(states)) {
      const tier = decodeState(encoded).tier;
      if (tier !== null) finalTiers.set(id, tier);
    }
  }
  expect(new Map([...finalTiers].sort())).toEqual(new Map([...oracle.finalTiers].sort()));

  // Dead letters: every malformed, invalid or too-late record is parked exactly once.
  const deadLetterOffsets = new Set(
    produced
      .filter((e) => e.topic === 'purchases.dlq')
      .map(
        (e) =>
          `${Buffer.from(e.headers['vs.dlt.original.partition']!, 'base64')}/${Buffer.from(e.headers['vs.dlt.original.offset']!, 'base64')}`,
      ),
  );
  const expectedDead = new Set<string>();
  oracleInput.forEach((records, p) => {
    for (const r of records) if ('purchase' in r && r.purchase === null) expectedDead.add(`${p}/${r.offset}`);
  });
  // Bad records of a customer already erased are skipped, not dead-lettered.
  const erasedBad = oracle.erasedSkips.filter((e) => expectedDead.delete(`${e.partition}/${e.offset}`));
  if (erasures) expect(erasedBad.length).toBeGreaterThan(0);
  for (const late of oracle.lateDeadLetters) expectedDead.add(`${late.partition}/${late.offset}`);
  expect([...deadLetterOffsets].sort()).toEqual([...expectedDead].sort());

  // Erasures: one completion per request, saying whether the customer was in the population, and
  // no trace in Redis of a customer erased for good (its id appears in no key and no value).
  const completions = produced
    .filter((e) => e.topic === 'erasures-completed')
    .map(
      (e) =>
        codecFor('ErasureCompleted').decode(Buffer.from(e.value!, 'base64')) as unknown as Record<
          string,
          unknown
        >,
    );
  expect(completions.map((c) => `${c.customerId} ${c.hadState}`).sort()).toEqual(
    oracle.erasures.map((e) => `${e.customerId} ${e.hadState}`).sort(),
  );
  expect(completions.length).toBe(erasures?.requests ?? 0);
  if (erasures) {
    expect(erasures.erasedForGood.size).toBeGreaterThan(0);
    expect(await findTraces(redis, erasures.erasedForGood, prefix)).toEqual([]);
    // A probe that the scan sees what it should: the customers that remain are found.
    const remaining = new Set([...oracle.finalValues.keys()].slice(0, 3));
    expect((await findTraces(redis, remaining, prefix)).length).toBeGreaterThan(0);
  }

  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  return {
    changes: expected.length,
    crashes,
    redeliveries,
    waits,
    duplicates,
    views: oracle.views.length,
    erasedWithState: oracle.erasures.filter((e) => e.hadState).length,
  };
}

describe('partition processor on real Redis equals the oracle', () => {
  it('with random batches and interleaving', async () => {
    const stats = await runScenario(11, { crashRate: 0, redeliveryRate: 0 });
    expect(stats.changes).toBeGreaterThan(50);
    expect(stats.views).toBeGreaterThan(100);
  });

  it('with erasure requests and profiles that re-admit: the population without the erased, and no trace of them in Redis', async () => {
    const stats = await runScenario(41, { crashRate: 0, redeliveryRate: 0, erasures: true });
    expect(stats.changes).toBeGreaterThan(50);
    expect(stats.erasedWithState).toBeGreaterThan(3);
  });

  it('with produced outboxes removed by the next apply, and crashes before that apply', async () => {
    const stats = await runScenario(53, { crashRate: 0.1, redeliveryRate: 0.3, deferAcks: true });
    expect(stats.crashes).toBeGreaterThan(3);
    expect(stats.duplicates).toBeGreaterThan(0);
    expect(stats.changes).toBeGreaterThan(50);
  });

  it('with crashes between apply and produce, and re-deliveries', async () => {
    const stats = await runScenario(29, { crashRate: 0.1, redeliveryRate: 0.6 });
    expect(stats.crashes).toBeGreaterThan(3);
    expect(stats.redeliveries).toBeGreaterThan(3);
    expect(stats.changes).toBeGreaterThan(50);
  });
});
