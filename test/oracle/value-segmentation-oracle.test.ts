// The streaming decisions, run by the in-memory driver, against the independent batch oracle on
// random multi-partition purchase streams: the same segment changes (with their ids), the same
// final tiers and values, the same late dead letters, stalls and views — whatever the order in
// which the driver consumes the partitions.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PurchaseLike } from '../../services/value-segmentation/purchase-value.js';
import {
  DAY_MS,
  defaultValueSegmentationSettings,
  type ValueSegmentationSettings,
  valueSegmentationSettings,
} from '../../services/value-segmentation/settings.js';
import { decodeState } from '../../services/value-segmentation/state-codec.js';
import type { TierView } from '../../services/value-segmentation/tier-view.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { type DriverResult, runInMemory } from './in-memory-driver.js';
import {
  computeValueSegmentation,
  type OracleOutput,
  type OracleRecord,
} from './value-segmentation-oracle.js';

const HOUR_MS = 3_600_000;

const settingsVariants: Record<string, ValueSegmentationSettings> = {
  defaults: defaultValueSegmentationSettings,
  // Short windows, sub-day buckets, no publish delay, margin basis, cost to serve, a top2 tier.
  shortMargin: valueSegmentationSettings({
    windowsDays: [2, 5, 10],
    rankingWindowDays: 5,
    bucketWidthMs: 6 * HOUR_MS,
    allowedLatenessMs: DAY_MS,
    refreshPeriodMs: DAY_MS,
    publishDelayMs: 0,
    top2Share: 0.02,
    hysteresisShare: 0.1,
    valueBasis: 'margin',
    costToServeMinor: 50,
  }),
  // A one-day ranking window shorter than the lateness: late records can miss it entirely.
  lateBeyondRanking: valueSegmentationSettings({
    windowsDays: [1, 7],
    rankingWindowDays: 1,
    allowedLatenessMs: 3 * DAY_MS,
    refreshPeriodMs: 12 * HOUR_MS,
    publishDelayMs: 2 * DAY_MS,
    top2Share: 0.05,
    topShare: 0.3,
    bottomShare: 0.3,
  }),
  // Ranking on the largest window, 8-hour buckets, refresh every 3 days, no hysteresis.
  noBand: valueSegmentationSettings({
    windowsDays: [7, 30],
    rankingWindowDays: 30,
    bucketWidthMs: 8 * HOUR_MS,
    allowedLatenessMs: 2 * DAY_MS,
    refreshPeriodMs: 3 * DAY_MS,
    publishDelayMs: DAY_MS,
    hysteresisShare: 0,
  }),
};

const lineArb = fc.record({
  quantity: fc.integer({ min: 1, max: 4 }),
  unitPriceMinor: fc.oneof(
    fc.integer({ min: 0, max: 500 }),
    fc.integer({ min: 500, max: 50_000 }),
    fc.integer({ min: 50_000, max: 5_000_000 }),
  ),
  marginMinor: fc.option(fc.integer({ min: -1_000, max: 200_000 }), { nil: null }),
});

const stepArb = fc.record({
  /** Which customer, skewed: low numbers buy often, high numbers rarely (and so lapse). */
  customerDraw: fc.integer({ min: 0, max: 999 }),
  /** Clock advance in thousandths of the largest window: mostly small, rarely past every window. */
  gapPerMille: fc.oneof(
    { weight: 180, arbitrary: fc.integer({ min: 0, max: 5 }) },
    { weight: 18, arbitrary: fc.integer({ min: 0, max: 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 500, max: 1_600 }) },
  ),
  /** How far behind the clock the event time is, in thousandths of the allowed lateness (> 1000: too late). */
  latePerMille: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 1_500 }) },
  ),
  /** Put the event on a bucket edge, where age-outs meet boundaries. */
  onBucketEdge: fc.boolean(),
  kind: fc.constantFrom<'SALE' | 'RETURN'>('SALE', 'SALE', 'SALE', 'RETURN'),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }),
  spoil: fc.constantFrom(
    'none',
    'none',
    'none',
    'none',
    'none',
    'none',
    'none',
    'none',
    'undecodable',
    'currency',
  ),
});

const scenarioArb = fc.record({
  variant: fc.constantFrom(...Object.keys(settingsVariants)),
  partitionCount: fc.integer({ min: 1, max: 4 }),
  customerCount: fc.integer({ min: 3, max: 40 }),
  startMs: fc.integer({ min: 1_600_000_000_000, max: 1_700_000_000_000 }),
  steps: fc.array(stepArb, { minLength: 100, maxLength: 400, size: 'max' }),
  /** A partition whose log ends early (the others wait for it), or an extra empty partition. */
  shortPartition: fc.constantFrom('none', 'none', 'none', 'none', 'ends-early', 'empty'),
  seed: fc.integer(),
});

type Scenario = ReturnType<typeof scenarioArb.generate>['value'];

function buildPartitions(scenario: Scenario, settings: ValueSegmentationSettings): OracleRecord[][] {
  const partitionCount = scenario.partitionCount + (scenario.shortPartition === 'empty' ? 1 : 0);
  const partitions: OracleRecord[][] = Array.from({ length: partitionCount }, () => []);
  const largestWindowMs = Math.max(...settings.windowsDays) * DAY_MS;
  let clock = scenario.startMs;
  scenario.steps.forEach((step, i) => {
    clock += Math.floor((step.gapPerMille * largestWindowMs) / 1000);
    let eventTime = clock - Math.floor((step.latePerMille * settings.allowedLatenessMs) / 1000);
    if (step.onBucketEdge) eventTime -= eventTime % settings.bucketWidthMs;
    const customerIndex = Math.floor(scenario.customerCount * (step.customerDraw / 1000) ** 3);
    const customerId = `c${String(customerIndex).padStart(3, '0')}`;
    const purchase: PurchaseLike = {
      eventId: `e${i}`,
      customerId,
      occurredAt: eventTime,
      kind: step.kind,
      currency: step.spoil === 'currency' ? 'USD' : settings.valueCurrency,
      lines: step.lines.map((line, n) => ({
        sku: `sku${n}`,
        category: 'grocery',
        ...line,
        kcalPerUnit: null,
        usage: null,
      })),
      channel: 'store',
      storeId: null,
      returnOfEventId: null,
    };
    const partition = customerIndex % scenario.partitionCount;
    const log = partitions[partition]!;
    log.push({
      offset: String(log.length),
      customerId,
      purchase: step.spoil === 'undecodable' ? null : purchase,
    });
  });
  if (scenario.shortPartition === 'ends-early' && scenario.partitionCount > 1) {
    const log = partitions[scenario.partitionCount - 1]!;
    log.splice(Math.floor(log.length / 3));
  }
  return partitions;
}

/** A deterministic choice of which runnable partition the driver steps next. */
function seededPick(seed: number): (runnable: readonly number[]) => number {
  let state = seed >>> 0 || 1;
  return (runnable) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return runnable[state % runnable.length]!;
  };
}

/** The driver's result in the oracle's terms. */
function asOracleOutput(result: DriverResult<TierView>): Omit<
  OracleOutput,
  'finalTiers' | 'finalValues' | 'drainedPartitions'
> & {
  finalTiers: Map<string, string>;
  finalValues: Map<string, number>;
} {
  const finalTiers = new Map<string, string>();
  const finalValues = new Map<string, number>();
  for (const store of result.partitions) {
    for (const [customerId, encoded] of store.states) {
      const state = decodeState(encoded);
      finalValues.set(customerId, state.rankingValueMinor);
      if (state.tier !== null) finalTiers.set(customerId, state.tier);
    }
  }
  return {
    finalTiers,
    finalValues,
    segmentChanges: result.outputs.map((output) => {
      const v = output.value as Record<string, unknown>;
      return {
        eventId: output.eventId,
        customerId: v.customerId as string,
        fromSegment: v.fromSegment as string | null,
        toSegment: v.toSegment as string,
        cause: v.cause as OracleOutput['segmentChanges'][number]['cause'],
        occurredAt: v.occurredAt as number,
      };
    }),
    lateDeadLetters: result.deadLetters
      .filter((d) => d.reasonCode === 'LATE_EVENT')
      .map(({ partition, offset }) => ({ partition, offset })),
    stalledPartitions: [...result.stalledPartitions],
    views: [...result.views]
      .sort((a, b) => a.boundary - b.boundary)
      .map(({ boundary, view }) => ({
        boundary,
        thresholds: view === null ? null : view.thresholds,
      })),
  };
}

function normalised(output: ReturnType<typeof asOracleOutput> | OracleOutput) {
  const byId = (a: { eventId: string }, b: { eventId: string }) => (a.eventId < b.eventId ? -1 : 1);
  const byPosition = (a: { partition: number; offset: string }, b: { partition: number; offset: string }) =>
    a.partition - b.partition || Number(a.offset) - Number(b.offset);
  return {
    finalTiers: [...output.finalTiers].sort(),
    finalValues: [...output.finalValues].sort(),
    segmentChanges: [...output.segmentChanges].sort(byId),
    lateDeadLetters: [...output.lateDeadLetters].sort(byPosition),
    stalledPartitions: [...output.stalledPartitions].sort(),
    views: output.views,
  };
}

/**
 * fast-check runs synchronously, out of reach of vitest's timeout: bound the run, shrinking
 * included, so a failure reports its (partly shrunk) counterexample instead of hanging CI.
 * ORACLE_RUNS and ORACLE_SEED widen a local run, e.g. ORACLE_RUNS=2000.
 */
function runOptions(numRuns: number, seed: number) {
  return { numRuns, seed, interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true };
}

describe('value segmentation: streaming decisions = batch oracle', () => {
  it('agrees on random multi-partition purchase streams, whatever the consumption order', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const settings = settingsVariants[scenario.variant]!;
        const partitions = buildPartitions(scenario, settings);
        const expected = normalised(computeValueSegmentation({ settings, partitions }));
        const driverInput = partitions.map((log) =>
          log.map(({ offset, purchase }) => ({ offset, value: purchase })),
        );
        const worker = createValueSegmentationWorker(settings);
        const actual = normalised(
          asOracleOutput(runInMemory(worker, driverInput, seededPick(scenario.seed))),
        );
        expect(actual).toEqual(expected);
        expect(new Set(actual.segmentChanges.map((c) => c.eventId)).size).toBe(actual.segmentChanges.length);
      }),
      runOptions(Number(process.env.ORACLE_RUNS ?? 60), Number(process.env.ORACLE_SEED ?? 20_240_601)),
    );
  }, 300_000);

  it('gives the same outputs, states and counters for every consumption order', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer(), (scenario, otherSeed) => {
        const settings = settingsVariants[scenario.variant]!;
        const driverInput = buildPartitions(scenario, settings).map((log) =>
          log.map(({ offset, purchase }) => ({ offset, value: purchase })),
        );
        const worker = createValueSegmentationWorker(settings);
        const first = runInMemory(worker, driverInput, seededPick(scenario.seed));
        const second = runInMemory(worker, driverInput, seededPick(otherSeed));
        const ids = (r: DriverResult<TierView>) => r.outputs.map((o) => o.eventId).sort();
        const stores = (r: DriverResult<TierView>) =>
          r.partitions.map((s) => ({
            states: [...s.states].sort(),
            index: [...s.index].sort(),
            counters: [...s.counters].filter(([, v]) => v !== 0).sort(),
            timers: [...s.timers].map(([c, kinds]) => [c, [...kinds]]).sort(),
          }));
        expect(ids(second)).toEqual(ids(first));
        expect(stores(second)).toEqual(stores(first));
      }),
      runOptions(25, 7),
    );
  }, 120_000);

  it('exercises what it claims to: changes of every cause, lapses, late events, drained partitions and empty views, and never stalls', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const settings = settingsVariants[scenario.variant]!;
        const out = computeValueSegmentation({ settings, partitions: buildPartitions(scenario, settings) });
        for (const c of out.segmentChanges) seen.add(`cause:${c.cause}`);
        if (out.segmentChanges.some((c) => c.toSegment === 'lapsed')) seen.add('lapsed');
        if (out.lateDeadLetters.length > 0) seen.add('late');
        expect(out.stalledPartitions).toEqual([]);
        if (out.drainedPartitions.length > 0) seen.add('drained');
        if (out.views.some((v) => v.thresholds === null)) seen.add('empty-view');
        const appliedThenEmpty = out.views.some(
          (v, i) => v.thresholds === null && out.views.slice(0, i).some((w) => w.thresholds !== null),
        );
        if (appliedThenEmpty) seen.add('empty-after-thresholds');
      }),
      runOptions(60, 20_240_601),
    );
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'cause:purchase',
        'cause:return',
        'cause:threshold-refresh',
        'cause:value-aged-out',
        'empty-after-thresholds',
        'empty-view',
        'lapsed',
        'drained',
        'late',
      ]),
    );
  }, 120_000);
});
