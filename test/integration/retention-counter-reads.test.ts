import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionInput } from '../../services/retention/decide.js';
import { defaultLadderSettings } from '../../services/retention/ladder/ladder-settings.js';
import { utcDay } from '../../services/retention/offers/offer-gates.js';
import { type OfferPolicy, parseOfferPolicy } from '../../services/retention/offers/offer-policy.js';
import { retentionSettings } from '../../services/retention/settings.js';
import { createRetentionWorker } from '../../services/retention/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type {
  CustomerProfile,
  Interaction,
  Purchase,
  SegmentChanged,
} from '../../shared/contracts/generated.js';
import {
  sampleConsumerProfile,
  sampleInteraction,
  samplePurchase,
  sampleSegmentChanged,
} from '../../shared/contracts/samples.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import type { StepGuard } from '../../shared/runtime/partition-processor.js';
import type { OutboxEntry } from '../../shared/runtime/state-store.js';
import { type DriverRecord, InMemoryRuntime } from '../oracle/in-memory-driver.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { expectRedisStateAsSpec } from '../support/runtime-spec-check.js';
import { decodedOutbox, rawRecordOf, schemaOf, workerProcessor } from '../support/worker-processor.js';

// The retention worker's budget counters are read from Redis before a step's decisions run
// (counterReads), and a decision reading a counter outside what was read stops the partition
// for good. Two partitions once did: (a) one whose first records are interactions (tables:
// decided at their own times, before the partition has any stream time) and (b) a batch of late
// purchases whose latest event time is on an earlier UTC day than stream time (decided at stream
// time). Here the partition processor on real Redis takes such batches, one topic per call as
// Kafka hands them over, and must equal the runtime's spec fed the same records: outputs, dead
// letters, and every customer state, counter and timer in Redis.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
const at = (day: number, hours = 0) => START + day * DAY + hours * HOUR;
const PARTITION = 0;

const settings = retentionSettings({ allowedLatenessMs: 3 * DAY });
const deployedPolicy = parseOfferPolicy(
  readFileSync(new URL('../../deploy/retention-offer-policy.json', import.meta.url), 'utf8'),
  'policy',
);
// A small daily budget for the top tier, so which offer (if any) a customer gets depends on what
// the day's counter already holds in Redis when the step starts.
const policy: OfferPolicy = {
  ...deployedPolicy,
  tiers: { ...deployedPolicy.tiers, top: { ...deployedPolicy.tiers.top, dailyBudgetMinor: 30_000 } },
};
const worker = createRetentionWorker({ settings, policy, partitionCount: 1, ladder: defaultLadderSettings });

type Call = { topic: string; events: Array<RetentionInput & { customerId: string; occurredAt: number }> };

const purchase = (customerId: string, occurredAt: number, spendMinor: number): Purchase => {
  const sale = samplePurchase();
  return {
    ...sale,
    eventId: `${customerId}-${occurredAt}`,
    customerId,
    occurredAt,
    lines: [{ ...sale.lines[0]!, quantity: 1, unitPriceMinor: spendMinor }],
  };
};
const interaction = (customerId: string, occurredAt: number, kind: Interaction['kind']): Interaction => ({
  ...sampleInteraction(),
  eventId: `i-${customerId}-${occurredAt}`,
  customerId,
  occurredAt,
  kind,
  surveyScore: kind === 'SURVEY' ? 2 : null,
  reviewRating: null,
  referredCustomerId: null,
  offerEventId: null,
});
const profile = (customerId: string, occurredAt: number): CustomerProfile => ({
  ...sampleConsumerProfile(),
  eventId: `p-${customerId}`,
  customerId,
  occurredAt,
  signedUpAt: occurredAt,
  marketingConsent: true,
});
const topTier = (customerId: string, occurredAt: number): SegmentChanged => ({
  ...sampleSegmentChanged(),
  eventId: `t-${customerId}`,
  customerId,
  occurredAt,
  dimension: 'value-tier',
  toSegment: 'top',
});

/** The spec's worker, noting the stream time of every counter a decision reads. */
function noteCounterReads(definition: typeof worker): { definition: typeof worker; readAt: number[] } {
  const readAt: number[] = [];
  type Ctx = Parameters<typeof definition.decide>[2];
  const noting = (ctx: Ctx): Ctx => ({
    ...ctx,
    counter: (field) => {
      readAt.push(ctx.streamTime);
      return ctx.counter(field);
    },
  });
  return {
    readAt,
    definition: {
      ...definition,
      decide: (state, record, ctx) => definition.decide(state, record, noting(ctx)),
      onTimer: (state, timer, ctx) => definition.onTimer(state, timer, noting(ctx)),
    },
  };
}

let redis: Redis;
let functions: FunctionCaller;
const prefixes: string[] = [];
beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  functions = new FunctionCaller(redis);
  await functions.load();
});
afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

/**
 * Feeds the calls, in order, to a fresh partition processor on Redis and to the spec; the two
 * must agree on everything. Returns the spec's outputs and the times its decisions read counters.
 */
async function expectProcessorAsSpec(calls: readonly Call[]) {
  const keyPrefix = uniqueName('retention-counters');
  prefixes.push(keyPrefix);
  const processor = workerProcessor({
    worker,
    redis,
    functions,
    keyPrefix,
    partition: PARTITION,
    partitionCount: 1,
    maxBatchRecords: 40,
  });
  const guard: StepGuard = { check: () => undefined, heartbeat: async () => undefined };
  const produced: OutboxEntry[] = [];
  produced.push(...(await processor.claim()));
  const spec = noteCounterReads(worker);
  const runtime = new InMemoryRuntime(spec.definition, 1);
  const nextOffset = new Map<string, number>();
  for (const { topic, events } of calls) {
    const first = nextOffset.get(topic) ?? 0;
    nextOffset.set(topic, first + events.length);
    const offsets = events.map((_, i) => String(first + i));
    const outcome = await processor.process(
      events.map((event, i) => rawRecordOf(topic, PARTITION, offsets[i]!, event)),
      guard,
    );
    expect(outcome.kind, `${topic} call from offset ${first}`).toBe('done');
    produced.push(...outcome.outbox);
    await processor.ackOutbox(outcome.outbox.length);
    runtime.append(
      PARTITION,
      events.map((value, i): DriverRecord<RetentionInput> => ({ offset: offsets[i]!, value, topic })),
    );
    runtime.runUntilIdle();
  }
  const result = runtime.result();
  expect(result.stalledPartitions).toEqual([]);
  expect(result.deadLetters).toEqual([]);

  const byEventId = (a: { value: Record<string, unknown> }, b: { value: Record<string, unknown> }) =>
    String(a.value.eventId).localeCompare(String(b.value.eventId));
  const streamed = produced.map(decodedOutbox).sort(byEventId);
  // The spec's values through the topic's codec, as a consumer would read them.
  const expected = result.outputs
    .map((o) => {
      const codec = codecFor(schemaOf(o.topic));
      return {
        topic: o.topic,
        key: o.key,
        decisionKind: o.decisionKind,
        value: codec.decode(codec.encode(o.value)) as unknown as Record<string, unknown>,
      };
    })
    .sort(byEventId);
  expect(streamed).toEqual(expected);
  await expectRedisStateAsSpec(redis, keyPrefix, worker, result.partitions);
  return { outputs: result.outputs, readAt: spec.readAt };
}

describe('retention counter reads on the partition processor (real Redis) equal the runtime spec', () => {
  it('a partition whose first records are interactions, decided at their own times on several days', async () => {
    const complainers = ['a-01', 'a-02', 'a-03', 'a-04', 'a-05', 'a-06'];
    const kinds: Interaction['kind'][] = ['COMPLAINT', 'CANCELLATION_REQUEST', 'SURVEY'];
    const firstInteractions = complainers.map((id, i) => interaction(id, at(i % 3, 9 + i), kinds[i % 3]!));
    const purchases = [
      ...complainers.map((id, i) => purchase(id, at(4 + i, 12), 5_000)),
      ...Array.from({ length: 10 }, (_, d) => purchase('clock', at(4 + 2 * d, 1), 1_000)),
    ].sort((p, q) => p.occurredAt - q.occurredAt);
    const { outputs, readAt } = await expectProcessorAsSpec([
      { topic: 'interactions', events: firstInteractions },
      { topic: 'customer-profiles', events: complainers.map((id) => profile(id, at(3))) },
      { topic: 'segment-changes', events: complainers.map((id) => topTier(id, at(3))) },
      { topic: 'purchases', events: purchases },
      { topic: 'interactions', events: complainers.map((id, i) => interaction(id, at(22, i), 'COMPLAINT')) },
    ]);
    // The scenario reaches the path: before any purchase, decisions read the budget of three days.
    const beforeStreamTime = readAt.filter((t) => t < at(4));
    expect(new Set(beforeStreamTime.map(utcDay)).size).toBe(3);
    expect(outputs.some((o) => o.topic === 'retention-offers')).toBe(true);
  });

  it('a batch of late purchases whose latest event time is on the UTC day before stream time', async () => {
    const decliners = Array.from({ length: 10 }, (_, i) => `b-${String(i).padStart(2, '0')}`);
    const earlyCharged = ['c-01', 'c-02', 'c-03'];
    const known = [...decliners, ...earlyCharged];
    const streamTime = at(120, 1);
    const onTime = [
      // Big spenders early on: a small purchase 90+ days later is a steep fall in spend.
      ...decliners.flatMap((id, i) => [
        purchase(id, at(5 + (i % 5), 12), 60_000),
        purchase(id, at(12 + (i % 5), 12), 60_000),
      ]),
      ...earlyCharged.map((id, i) => purchase(id, at(8, i), 3_000)),
      ...Array.from({ length: 51 }, (_, d) => purchase('clock', at(20 + 2 * d, 1), 1_000)),
    ].sort((p, q) => p.occurredAt - q.occurredAt);
    expect(onTime.at(-1)!.occurredAt).toBe(streamTime);
    // Up to 7 hours late, all on the day before stream time's; within the allowed lateness.
    const late = decliners.map((id, i) => purchase(id, at(119, 17 + i * 0.5), 200));
    const { outputs, readAt } = await expectProcessorAsSpec([
      { topic: 'customer-profiles', events: known.map((id) => profile(id, at(0))) },
      { topic: 'segment-changes', events: known.map((id) => topTier(id, at(0))) },
      { topic: 'purchases', events: onTime },
      // Complaints at stream time charge the day's budget in Redis before the late batch.
      {
        topic: 'interactions',
        events: earlyCharged.map((id, i) => interaction(id, at(120, i * 0.2), 'COMPLAINT')),
      },
      { topic: 'purchases', events: late },
      {
        topic: 'purchases',
        events: [purchase('clock', at(121, 1), 1_000), purchase('clock', at(122, 1), 1_000)],
      },
    ]);
    expect(Math.max(...late.map((p) => p.occurredAt))).toBeLessThan(streamTime);
    expect(utcDay(Math.max(...late.map((p) => p.occurredAt)))).toBe(utcDay(streamTime) - 1);
    // Each late purchase is a steep fall in spend, decided (and its budget read) at stream time.
    expect(readAt.filter((t) => t === streamTime).length).toBeGreaterThanOrEqual(
      decliners.length + earlyCharged.length,
    );
    // The budget left after the complaints runs out within the late batch: fewer treatments than
    // decliners, so the outputs depend on the counter the step read from Redis.
    const treatedLate = outputs.filter(
      (o) =>
        o.topic === 'retention-offers' &&
        decliners.includes(o.key) &&
        (o.value.reasons as string[]).includes('spend-decline'),
    );
    expect(treatedLate.length).toBeGreaterThan(0);
    expect(treatedLate.length).toBeLessThan(decliners.length);
  });
});
