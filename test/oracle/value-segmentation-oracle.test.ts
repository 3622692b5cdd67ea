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
  type OraclePurchaseRecord,
  type OracleRecord,
  type OracleTableRecord,
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

function buildPartitions(scenario: Scenario, settings: ValueSegmentationSettings): OraclePurchaseRecord[][] {
  const partitionCount = scenario.partitionCount + (scenario.shortPartition === 'empty' ? 1 : 0);
  const partitions: OraclePurchaseRecord[][] = Array.from({ length: partitionCount }, () => []);
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
  'finalTiers' | 'finalValues' | 'drainedPartitions' | 'erasedSkips'
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
    // The driver is given purchases only here.
    erasures: [],
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

describe('the oracle with erasures', () => {
  const T0 = Date.UTC(2024, 0, 1);
  const day = (n: number, hours = 0) => T0 + n * DAY_MS + hours * HOUR_MS;
  const settings = valueSegmentationSettings({
    windowsDays: [30],
    rankingWindowDays: 30,
    refreshPeriodMs: DAY_MS,
    publishDelayMs: DAY_MS,
    hysteresisShare: 0,
  });
  let purchases = 0;
  let tables = 0;
  const buy = (customerId: string, valueMinor: number, at: number): OracleRecord => ({
    offset: String(purchases++),
    customerId,
    purchase: {
      eventId: `p${purchases}`,
      customerId,
      occurredAt: at,
      kind: 'SALE',
      currency: settings.valueCurrency,
      lines: [
        {
          sku: 's',
          category: 'c',
          quantity: 1,
          unitPriceMinor: valueMinor,
          marginMinor: null,
          kcalPerUnit: null,
          usage: null,
        },
      ],
      channel: 'store',
      storeId: null,
      returnOfEventId: null,
    },
  });
  const erase = (customerId: string, at: number): OracleRecord => ({
    topic: 'customer-erasures',
    offset: String(tables++),
    customerId,
    occurredAt: at,
  });
  const profile = (customerId: string, at: number): OracleRecord => ({
    topic: 'customer-profiles',
    offset: String(tables++),
    customerId,
    occurredAt: at,
  });

  it('takes the customer out of the population from the erasure on, and never names it again', () => {
    purchases = 0;
    tables = 0;
    const log: OracleRecord[] = [
      buy('c1', 100, day(0, 1)),
      buy('c2', 200, day(0, 1)),
      buy('c3', 300, day(0, 1)),
      buy('c4', 400, day(0, 1)),
      buy('c5', 5_000, day(0, 1)),
      buy('c1', 1, day(1, 1)),
      buy('c1', 1, day(2, 1)), // view(day 1) applied at day 2: c5 is top
      erase('c5', day(2, 2)),
      buy('c5', 9_000, day(2, 3)), // ignored: not applied, not late, and does not move stream time
      buy('c1', 1, day(3, 1)), // view(day 2) applied at day 3 was snapshotted before the erasure
      profile('c5', day(2, 2)), // not newer than the erasure: c5 stays erased
      buy('c5', 9_000, day(3, 2)),
      buy('c1', 1, day(4, 1)), // view(day 3): without c5
    ];
    const out = computeValueSegmentation({ settings, partitions: [log] });
    const top = (b: number) => out.views.find((v) => v.boundary === b)?.thresholds?.top;
    expect(top(day(1))).toBe(4_992); // the lower edge of 5 000's cell
    expect(top(day(2))).toBe(4_992);
    expect(top(day(3))).toBe(400); // four customers left: rank 1 is c4
    expect(out.erasures).toEqual([{ partition: 0, offset: '0', customerId: 'c5', hadState: true }]);
    const ofC5 = out.segmentChanges.filter((c) => c.customerId === 'c5');
    expect(ofC5.map((c) => [c.fromSegment, c.toSegment, c.occurredAt])).toEqual([[null, 'top', day(2)]]);
    expect(
      out.segmentChanges
        .filter((c) => c.customerId === 'c4')
        .map((c) => [c.toSegment, c.cause, c.occurredAt]),
    ).toEqual([
      ['middle', 'threshold-refresh', day(2)],
      ['top', 'threshold-refresh', day(4)],
    ]);
    expect(out.finalValues.has('c5')).toBe(false);
    expect(out.finalTiers.has('c5')).toBe(false);
    expect(out.lateDeadLetters).toEqual([]);
  });

  it('re-admits a customer with a profile newer than the erasure, starting from nothing', () => {
    purchases = 0;
    tables = 0;
    const log: OracleRecord[] = [
      buy('c1', 100, day(0, 1)),
      buy('c2', 5_000, day(0, 1)),
      erase('c2', day(0, 2)),
      profile('c2', day(0, 3)),
      buy('c2', 70, day(1, 1)),
      buy('c1', 1, day(3, 1)),
    ];
    const out = computeValueSegmentation({ settings, partitions: [log] });
    expect(out.finalValues.get('c2')).toBe(70);
    expect(out.views.find((v) => v.boundary === day(1))?.thresholds?.top).toBe(100);
    expect(out.erasures).toEqual([{ partition: 0, offset: '0', customerId: 'c2', hadState: true }]);
    // An erasure of a customer the partition never saw, or that has lapsed: nothing to take out.
    const again = computeValueSegmentation({ settings, partitions: [[erase('zz', day(0)), ...log]] });
    expect(again.erasures[0]).toMatchObject({ customerId: 'zz', hadState: false });
  });

  /** The scenario's partitions with one customer's purchases removed (offsets kept: ids stay). */
  const without = (
    partitions: OraclePurchaseRecord[][],
    customerId: string,
    from = Number.POSITIVE_INFINITY,
  ) => partitions.map((log) => log.filter((r, i) => r.customerId !== customerId || i >= from));
  const busiest = (partitions: OraclePurchaseRecord[][]) => {
    const counts = new Map<string, number>();
    for (const r of partitions.flat()) counts.set(r.customerId, (counts.get(r.customerId) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
  };

  /** The scenario's busiest customer, its partition's log and a position in it. */
  const midStream = (scenario: Parameters<typeof buildPartitions>[0], cutPerMille: number) => {
    const settings = settingsVariants[scenario.variant]!;
    const partitions = buildPartitions(scenario, settings);
    const erased = busiest(partitions);
    const p = partitions.findIndex((log) => log.some((r) => r.customerId === erased));
    const log = partitions[p]!;
    return { settings, partitions, erased, p, log, cut: Math.floor((log.length * cutPerMille) / 1000) };
  };

  it('equals the run without the customer when it is erased before its first record', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const settings = settingsVariants[scenario.variant]!;
        const partitions = buildPartitions(scenario, settings);
        const erased = busiest(partitions);
        const withErasure = partitions.map((log): OracleRecord[] =>
          log.some((r) => r.customerId === erased)
            ? [
                { topic: 'customer-erasures', offset: '0', customerId: erased, occurredAt: scenario.startMs },
                ...log,
              ]
            : log,
        );
        const actual = computeValueSegmentation({ settings, partitions: withErasure });
        const expected = computeValueSegmentation({ settings, partitions: without(partitions, erased) });
        expect(normalised(actual)).toEqual(normalised(expected));
        expect(actual.segmentChanges.some((c) => c.customerId === erased)).toBe(false);
      }),
      runOptions(40, 11),
    );
  }, 120_000);

  it('counts the customer again from a newer profile on, as if its records before had never been', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 0, max: 999 }), (scenario, cutPerMille) => {
        const { settings, partitions, erased, p, log, cut } = midStream(scenario, cutPerMille);
        const erasedAt = scenario.startMs - 1;
        const table = (topic: OracleTableRecord['topic'], offset: string, occurredAt: number) => ({
          topic,
          offset,
          customerId: erased,
          occurredAt,
        });
        const withErasure = [...partitions] as OracleRecord[][];
        withErasure[p] = [
          table('customer-erasures', '0', erasedAt),
          ...log.slice(0, Math.floor(cut / 2)),
          table('customer-profiles', '1', erasedAt), // as old as the erasure: no re-admission
          ...log.slice(Math.floor(cut / 2), cut),
          table('customer-profiles', '2', erasedAt + 1),
          ...log.slice(cut),
        ];
        const actual = computeValueSegmentation({ settings, partitions: withErasure });
        const expected = computeValueSegmentation({ settings, partitions: without(partitions, erased, cut) });
        expect(normalised(actual)).toEqual(normalised(expected));
      }),
      runOptions(40, 12),
    );
  }, 120_000);

  it('never names the customer after a mid-stream erasure, and keeps it out of the final population', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 0, max: 999 }), (scenario, cutPerMille) => {
        const { settings, partitions, erased, p, log, cut } = midStream(scenario, cutPerMille);
        // Stream time at the erasure: the largest applied event time before it.
        const before = computeValueSegmentation({
          settings,
          partitions: partitions.map((l, i) => (i === p ? l.slice(0, cut) : [])),
        });
        const late = new Set(before.lateDeadLetters.map((d) => d.offset));
        const times = log
          .slice(0, cut)
          .filter((r) => r.purchase !== null && !late.has(r.offset))
          .map((r) => r.purchase!.occurredAt);
        const streamTime = times.length ? Math.max(...times) : Number.NEGATIVE_INFINITY;
        const withErasure = [...partitions] as OracleRecord[][];
        withErasure[p] = [
          ...log.slice(0, cut),
          { topic: 'customer-erasures', offset: '0', customerId: erased, occurredAt: scenario.startMs },
          ...log.slice(cut),
        ];
        const out = computeValueSegmentation({ settings, partitions: withErasure });
        const later = out.segmentChanges.filter((c) => c.customerId === erased && c.occurredAt > streamTime);
        expect(later).toEqual([]);
        expect(out.finalValues.has(erased)).toBe(false);
        expect(out.finalTiers.has(erased)).toBe(false);
        expect(out.erasures).toHaveLength(1);
      }),
      runOptions(40, 13),
    );
  }, 120_000);
});
