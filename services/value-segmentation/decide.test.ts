import { describe, expect, it } from 'vitest';
import {
  AGE_OUT_TIMER,
  type CustomerValueState,
  decideAgeOut,
  decidePurchase,
  decideThresholdRefresh,
  type ValueDecision,
} from './decide.js';
import { cellOf } from './histogram.js';
import { DAY_MS, type ValueSegmentationSettings, valueSegmentationSettings } from './settings.js';
import { contextAt, day, inputOf, purchase, purchaseWorth, viewWith } from './test-fixtures.js';
import { mergeSnapshots, type TierView } from './tier-view.js';
import type { ValueTier } from './tiers.js';

const settings = valueSegmentationSettings();
// top from 1,000.00 EUR (band 50.00), middle from 100.00 EUR (band 5.00); computed at day 9.
const view = viewWith({ top: 100_000, bottom: 10_000 }, { populationSize: 50, boundary: day(9) });
const viewTop2 = viewWith({ top2: 500_000, top: 100_000, bottom: 10_000 }, { boundary: day(9) });

/** A state whose buckets all count in the ranking window. */
function stateWith(buckets: CustomerValueState['buckets'], tier: ValueTier | null): CustomerValueState {
  const rankingValueMinor = buckets.reduce((sum, [, v]) => sum + v, 0);
  return { buckets, tier, rankingValueMinor };
}

/** A sale (or return) worth `valueMinor`, decided at stream time `at` (default: its event time). */
function buy(
  state: CustomerValueState | null,
  valueMinor: number,
  eventTime: number,
  options: {
    at?: number;
    kind?: 'SALE' | 'RETURN';
    view?: TierView | null;
    s?: ValueSegmentationSettings;
  } = {},
): ValueDecision {
  const event = purchaseWorth(valueMinor, eventTime, options.kind ?? 'SALE');
  const ctx = contextAt(options.at ?? eventTime, options.view === undefined ? view : options.view);
  return decidePurchase(state, inputOf(event, '7'), ctx, options.s ?? settings);
}

function histogramMove(from: number | null, to: number | null) {
  const deltas = new Map<string, number>();
  const add = (field: string, d: number) => deltas.set(field, (deltas.get(field) ?? 0) + d);
  if (from !== null) {
    add(`h:c:${cellOf(from)}`, -1);
    add(`h:s:${cellOf(from)}`, -from);
  }
  if (to !== null) {
    add(`h:c:${cellOf(to)}`, 1);
    add(`h:s:${cellOf(to)}`, to);
  }
  return [...deltas].filter(([, d]) => d !== 0).map(([field, delta]) => ({ field, delta }));
}

const segmentOf = (d: ValueDecision) =>
  d.outputs.map((o) => {
    const v = o.value as { fromSegment: string | null; toSegment: string; cause: string };
    return [v.fromSegment, v.toSegment, v.cause];
  });

describe('a purchase', () => {
  it('before any view: counts the customer in the population but places it nowhere', () => {
    const decision = buy(null, 5_000, day(10) + 3_600_000, { view: null });
    expect(decision).toEqual({
      state: { buckets: [[day(10), 5_000, 1, 1]], tier: null, rankingValueMinor: 5_000 },
      outputs: [],
      timers: [{ kind: AGE_OUT_TIMER, dueAt: day(375) }],
      indexScore: 5_000,
      counters: histogramMove(null, 5_000),
    });
  });

  it('places a new customer, emitting a segment change from null with its evidence', () => {
    const decision = buy(null, 123_456, day(10) + 3_600_000);
    expect(decision.state).toEqual({
      buckets: [[day(10), 123_456, 1, 1]],
      tier: 'top',
      rankingValueMinor: 123_456,
    });
    expect(decision.counters).toEqual([...histogramMove(null, 123_456), { field: 't:top', delta: 1 }]);
    expect(decision.outputs).toEqual([
      {
        topic: 'segment-changes',
        key: 'c-1',
        eventId: 'purchases/0/1|segment-changed|0',
        decisionKind: 'segment-changed',
        decisionLabel: 'top',
        causedAtEventTime: day(10) + 3_600_000,
        value: {
          eventId: 'purchases/0/1|segment-changed|0',
          customerId: 'c-1',
          occurredAt: day(10) + 3_600_000,
          dimension: 'value-tier',
          fromSegment: null,
          toSegment: 'top',
          cause: 'purchase',
          causationId: 'purchases/0/1',
          evidence: {
            currency: 'EUR',
            rollingValues: [
              { windowDays: 30, valueMinor: 123_456, orders: 1 },
              { windowDays: 90, valueMinor: 123_456, orders: 1 },
              { windowDays: 365, valueMinor: 123_456, orders: 1 },
            ],
            rankingWindowDays: 365,
            rankingValueMinor: 123_456,
            percentile: 0, // this hand-made view has no cells to rank against
            thresholds: [
              { tier: 'top', minValueMinor: 100_000, bandMinor: 5_000 },
              { tier: 'middle', minValueMinor: 10_000, bandMinor: 500 },
            ],
            hysteresisShare: 0.05,
            populationSize: 50,
            thresholdsBoundary: day(9),
            rule: 'value 1,234.56 EUR ≥ top threshold 1,000.00: placed in top',
          },
          clvMinor: null,
          clvModelFittedAt: null,
        },
      },
    ]);
  });

  it('moves a customer up once past threshold + band', () => {
    const before = stateWith([[day(1), 100_000, 1, 1]], 'middle');
    const stays = buy(before, 4_999, day(10));
    expect(stays.outputs).toEqual([]);
    expect(stays.state?.tier).toBe('middle');
    const moves = buy(before, 5_000, day(10));
    expect(segmentOf(moves)).toEqual([['middle', 'top', 'purchase']]);
    expect(moves.counters).toEqual([
      ...histogramMove(100_000, 105_000),
      { field: 't:middle', delta: -1 },
      { field: 't:top', delta: 1 },
    ]);
    expect(moves.indexScore).toBe(105_000);
  });

  it('moves a customer down on a return once past threshold - band', () => {
    const before = stateWith([[day(1), 100_000, 1, 1]], 'top');
    expect(buy(before, 5_000, day(10), { kind: 'RETURN' }).outputs).toEqual([]);
    const moves = buy(before, 5_001, day(10), { kind: 'RETURN' });
    expect(segmentOf(moves)).toEqual([['top', 'middle', 'return']]);
    expect(moves.state?.buckets).toEqual([
      [day(1), 100_000, 1, 1],
      [day(10), -5_001, 0, -1],
    ]);
  });

  it('stays inside the band either side of a threshold, changing only the histogram', () => {
    const before = stateWith([[day(1), 98_000, 1, 1]], 'top');
    const decision = buy(before, 4_000, day(10));
    expect(decision.outputs).toEqual([]);
    expect(decision.counters).toEqual(histogramMove(98_000, 102_000));
    expect(decision.state?.tier).toBe('top');
  });

  it.each<[ValueTier, number, ValueTier]>([
    ['bottom', 10_500, 'middle'],
    ['bottom', 105_000, 'top'],
    ['bottom', 525_000, 'top2'],
    ['middle', 105_000, 'top'],
    ['middle', 525_000, 'top2'],
    ['top', 525_000, 'top2'],
    ['top2', 474_999, 'top'],
    ['top2', 94_999, 'middle'],
    ['top2', 9_499, 'bottom'],
    ['top', 94_999, 'middle'],
    ['top', 9_499, 'bottom'],
    ['middle', 9_499, 'bottom'],
  ])('moves %s at a value of %i to %s (tiers with top2)', (from, value, to) => {
    const before = stateWith([[day(1), 1, 1, 1]], from);
    const decision = buy(before, value - 1, day(10), { view: viewTop2 });
    expect(segmentOf(decision)).toEqual([[from, to, 'purchase']]);
  });

  it('applies a late purchase (within the lateness) to the bucket of its event time', () => {
    const before = stateWith([[day(10), 10_000, 1, 1]], 'middle');
    // Stream time is day 12 + 5h; the purchase happened on day 10 and on day 9.
    const sameBucket = buy(before, 2_000, day(10) + 3_600_000, { at: day(12) + 5 * 3_600_000 });
    expect(sameBucket.state?.buckets).toEqual([[day(10), 12_000, 2, 2]]);
    expect(sameBucket.timers).toEqual([{ kind: AGE_OUT_TIMER, dueAt: day(375) }]);
    const earlierBucket = buy(before, 2_000, day(9) + 3_600_000, { at: day(12) });
    expect(earlierBucket.state?.buckets).toEqual([
      [day(9), 2_000, 1, 1],
      [day(10), 10_000, 1, 1],
    ]);
    expect(earlierBucket.timers).toEqual([{ kind: AGE_OUT_TIMER, dueAt: day(374) }]);
    // Evaluated at stream time, with the occurredAt of the decision.
    const placed = buy(null, 200_000, day(9), { at: day(12) });
    expect(placed.outputs[0]?.value).toMatchObject({ occurredAt: day(12) });
    expect(placed.outputs[0]?.causedAtEventTime).toBe(day(9));
  });

  it('ignores a late purchase whose bucket is already out of the ranking window', () => {
    const short = valueSegmentationSettings({ windowsDays: [1, 7], rankingWindowDays: 1 });
    const decision = buy(null, 5_000, day(10), { at: day(12), s: short });
    expect(decision).toEqual({ state: null, outputs: [], timers: [] });
  });

  it('values a purchase on the margin basis, minus the cost to serve', () => {
    const s = valueSegmentationSettings({ valueBasis: 'margin', costToServeMinor: 30 });
    // 2 × 40 margin + 1 × 1000 revenue (no margin known) - 30 cost to serve
    const decision = decidePurchase(
      null,
      inputOf(purchase({ occurredAt: day(10) })),
      contextAt(day(10), view),
      s,
    );
    expect(decision.state?.rankingValueMinor).toBe(1_050);
    expect(decision.indexScore).toBe(1_050);
    const net = decidePurchase(
      null,
      inputOf(purchase({ occurredAt: day(10) })),
      contextAt(day(10), view),
      settings,
    );
    expect(net.state?.rankingValueMinor).toBe(1_300);
  });

  it('counts the cost to serve per sale, so frequent small baskets can be worth less than nothing', () => {
    const s = valueSegmentationSettings({ costToServeMinor: 500 });
    let state: CustomerValueState | null = null;
    for (let i = 0; i < 3; i += 1) state = buy(state, 300, day(10 + i), { s }).state;
    expect(state?.rankingValueMinor).toBe(-600);
    expect(state?.tier).toBe('bottom');
  });
});

describe('the age-out timer', () => {
  const fire = (state: CustomerValueState | null, dueAt: number, v: TierView | null = view) =>
    decideAgeOut(
      state,
      { kind: AGE_OUT_TIMER, customerId: 'c-1', dueAt },
      contextAt(dueAt, v, `timer/0/age-out/c-1/${dueAt}`),
      settings,
    );

  it('re-values the customer when a bucket leaves the ranking window, and re-tiers it', () => {
    const before = stateWith(
      [
        [day(0), 50_000, 1, 1],
        [day(100), 60_000, 1, 1],
      ],
      'top',
    );
    const decision = fire(before, day(365));
    expect(segmentOf(decision)).toEqual([['top', 'middle', 'value-aged-out']]);
    expect(decision.state).toEqual({
      buckets: [[day(100), 60_000, 1, 1]],
      tier: 'middle',
      rankingValueMinor: 60_000,
    });
    expect(decision.timers).toEqual([{ kind: AGE_OUT_TIMER, dueAt: day(465) }]);
    expect(decision.indexScore).toBe(60_000);
    expect(decision.outputs[0]?.eventId).toBe(`timer/0/age-out/c-1/${day(365)}|segment-changed|0`);
    expect(decision.outputs[0]?.value).toMatchObject({ evidence: { rule: expect.any(String) } });
    const evidence = (decision.outputs[0]!.value as { evidence: { rule: string } }).evidence;
    expect(evidence.rule).toBe(
      'value 600.00 EUR < top threshold 1,000.00 - band 50.00: moved down from top to middle',
    );
  });

  it('lapses a tiered customer whose last purchase left the ranking window, and deletes its state', () => {
    const before = stateWith([[day(0), 20_000, 1, 1]], 'middle');
    const decision = fire(before, day(365));
    expect(decision.state).toBeNull();
    expect(decision.indexScore).toBeNull();
    expect(decision.timers).toEqual([{ kind: AGE_OUT_TIMER, dueAt: null }]);
    expect(decision.counters).toEqual([...histogramMove(20_000, null), { field: 't:middle', delta: -1 }]);
    expect(segmentOf(decision)).toEqual([['middle', 'lapsed', 'value-aged-out']]);
    expect(decision.outputs[0]?.decisionLabel).toBe('lapsed');
    expect(decision.outputs[0]?.value).toMatchObject({
      evidence: {
        rankingValueMinor: 0,
        percentile: null,
        rule: 'no purchase counts in the 365-day ranking window any more: lapsed',
      },
    });
  });

  it('lets a customer without a tier leave silently', () => {
    const decision = fire(stateWith([[day(0), 20_000, 1, 1]], null), day(365), null);
    expect(decision).toEqual({
      state: null,
      outputs: [],
      timers: [{ kind: AGE_OUT_TIMER, dueAt: null }],
      indexScore: null,
      counters: histogramMove(20_000, null),
    });
  });

  it('keeps a customer whose buckets net to zero until the last one ages out', () => {
    const before = stateWith(
      [
        [day(0), 500, 1, 1],
        [day(1), -500, 0, -1],
      ],
      'bottom',
    );
    const first = fire(before, day(365));
    expect(first.state?.rankingValueMinor).toBe(-500);
    expect(first.timers).toEqual([{ kind: AGE_OUT_TIMER, dueAt: day(366) }]);
    expect(segmentOf(fire(first.state, day(366)))).toEqual([['bottom', 'lapsed', 'value-aged-out']]);
  });

  it('does nothing for a customer already gone', () => {
    expect(fire(null, day(365))).toEqual({ state: null, outputs: [], timers: [] });
  });
});

describe('a threshold refresh', () => {
  const refresh = (state: CustomerValueState, v: TierView | null) =>
    decideThresholdRefresh(state, 'c-1', contextAt(day(20), v, `population/0/${day(19)}/c-1`), settings);

  it('re-tiers the customer against the new thresholds, with hysteresis', () => {
    const state = stateWith([[day(1), 100_000, 1, 1]], 'top');
    const lower = viewWith({ top: 90_000, bottom: 10_000 }, { boundary: day(19) });
    expect(refresh(state, lower)).toEqual({ state, outputs: [], timers: [] });
    const higher = viewWith({ top: 106_000, bottom: 10_000 }, { boundary: day(19) });
    const decision = refresh(state, higher);
    expect(segmentOf(decision)).toEqual([['top', 'middle', 'threshold-refresh']]);
    expect(decision.state).toEqual({ ...state, tier: 'middle' });
    expect(decision.counters).toEqual([
      { field: 't:top', delta: -1 },
      { field: 't:middle', delta: 1 },
    ]);
    expect(decision.indexScore).toBeUndefined();
    expect(decision.timers).toEqual([]);
    expect(decision.outputs[0]?.value).toMatchObject({
      occurredAt: day(20),
      evidence: { thresholdsBoundary: day(19) },
    });
  });

  it('places a customer that had no tier yet (the first view)', () => {
    const decision = refresh(stateWith([[day(1), 5_000, 1, 1]], null), view);
    expect(segmentOf(decision)).toEqual([[null, 'bottom', 'threshold-refresh']]);
    expect(decision.counters).toEqual([{ field: 't:bottom', delta: 1 }]);
  });

  it('ranks the customer in the evidence when the view has cells', () => {
    const fields = {
      'h:c:10': 3,
      'h:s:10': 30,
      [`h:c:${cellOf(200_000)}`]: 1,
      [`h:s:${cellOf(200_000)}`]: 200_000,
    };
    const ranked = mergeSnapshots(day(19), [fields], settings)!;
    const decision = refresh(stateWith([[day(1), 200_000, 1, 1]], 'bottom'), ranked);
    expect(decision.outputs[0]?.value).toMatchObject({ evidence: { percentile: 87.5, populationSize: 4 } });
  });
});

describe('day arithmetic of the fixtures', () => {
  it('uses whole UTC days', () => {
    expect(day(1) - day(0)).toBe(DAY_MS);
    expect(day(0) % DAY_MS).toBe(0);
  });
});
