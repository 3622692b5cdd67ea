import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CounterDelta } from '../../shared/runtime/worker-definition.js';
import { utcDayOf } from './basket-key.js';
import { gapBucket } from './gap-buckets.js';
import { CUSTOMERS_FIELD, fromField, gapField, stepField } from './sequence-fields.js';
import {
  checkSequenceSettings,
  emptySequenceState,
  forgetSequences,
  recordPurchase,
  type SequenceSettings,
  type SequenceState,
  sequenceCounters,
  sequenceStepsFrom,
  sumCounters,
} from './sequence-steps.js';

const settings: SequenceSettings = { horizonDays: 30, maxItemsPerCustomer: 50 };

function sum(into: Map<string, number>, deltas: readonly CounterDelta[]): Map<string, number> {
  for (const { field, delta } of deltas) {
    const v = (into.get(field) ?? 0) + delta;
    if (v === 0) into.delete(field);
    else into.set(field, v);
  }
  return into;
}

function replay(
  purchases: readonly { items: readonly string[]; day: number }[],
  s: SequenceSettings = settings,
  start: SequenceState = emptySequenceState,
) {
  let state = start;
  const counters = new Map<string, number>();
  for (const p of purchases) {
    const out = recordPurchase(state, p.items, p.day, s);
    state = out.state;
    sum(counters, out.deltas);
  }
  return { state, counters };
}

const asMap = (deltas: readonly CounterDelta[]) => sum(new Map(), deltas);

const purchase = fc.record({
  items: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e>f', 'g:h', '%'), { minLength: 1, maxLength: 3 }),
  day: fc.integer({ min: 0, max: 80 }),
});

describe('recordPurchase', () => {
  it('counts the first purchase of an item, and a step from each item first bought 1 to 30 days before', () => {
    const { state, counters } = replay([
      { items: ['a'], day: 100 },
      { items: ['b'], day: 110 },
      { items: ['c'], day: 135 },
      { items: ['a', 'b', 'c'], day: 136 },
    ]);
    expect(state.firstDays).toEqual([
      ['a', 100],
      ['b', 110],
      ['c', 135],
    ]);
    expect(Object.fromEntries(counters)).toEqual({
      [fromField('a')]: 1,
      [fromField('b')]: 1,
      [fromField('c')]: 1,
      // One customer with first purchases: the population of the steps' lift.
      [CUSTOMERS_FIELD]: 1,
      [stepField('a', 'b')]: 1,
      [gapField('a', 'b', gapBucket(10))]: 1,
      // a → c is 35 days: beyond the horizon.
      [stepField('b', 'c')]: 1,
      [gapField('b', 'c', gapBucket(25))]: 1,
    });
  });

  it('counts no step between items first bought the same day (that is a basket, not a sequence)', () => {
    const { counters } = replay([{ items: ['a', 'b'], day: 5 }]);
    expect([...counters.keys()].sort()).toEqual([CUSTOMERS_FIELD, fromField('a'), fromField('b')].sort());
  });

  it('counts gaps exactly at the horizon, not one day beyond', () => {
    expect(
      replay([
        { items: ['a'], day: 0 },
        { items: ['b'], day: 30 },
      ]).counters.get(stepField('a', 'b')),
    ).toBe(1);
    expect(
      replay([
        { items: ['a'], day: 0 },
        { items: ['b'], day: 31 },
      ]).counters.has(stepField('a', 'b')),
    ).toBe(false);
  });

  it('moves a first day back when a late event carries an earlier day, and re-counts the steps', () => {
    const { state, counters } = replay([
      { items: ['b'], day: 20 },
      { items: ['a'], day: 25 },
      { items: ['a'], day: 10 },
    ]);
    expect(state.firstDays).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    expect(counters.get(stepField('a', 'b'))).toBe(1);
    expect(counters.has(stepField('b', 'a'))).toBe(false);
    expect(counters.get(gapField('a', 'b', gapBucket(10)))).toBe(1);
  });

  it('keeps the items with the latest first days and takes the evicted item’s counts back', () => {
    const small = { horizonDays: 30, maxItemsPerCustomer: 2 };
    const { state, counters } = replay(
      [
        { items: ['a'], day: 1 },
        { items: ['b'], day: 2 },
        { items: ['c'], day: 3 },
      ],
      small,
    );
    expect(state.firstDays).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
    expect(counters).toEqual(asMap(sequenceCounters(state, small)));
    // An item older than every kept one is not added at all.
    const older = recordPurchase(state, ['z'], 0, small);
    expect(older).toEqual({ state, deltas: [] });
    // Ties on the day: the smaller item stays.
    const tie = recordPurchase({ firstDays: [['m', 5]] }, ['k', 'x'], 5, {
      ...small,
      maxItemsPerCustomer: 2,
    });
    expect(tie.state.firstDays).toEqual([
      ['k', 5],
      ['m', 5],
    ]);
  });

  it('sums, over any order of a customer’s events, to the counting of the final first days', () => {
    fc.assert(
      fc.property(
        fc.array(purchase, { maxLength: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        (purchases, maxItemsPerCustomer, horizonDays) => {
          const s = { horizonDays, maxItemsPerCustomer };
          const { state, counters } = replay(purchases, s);
          expect(counters).toEqual(asMap(sequenceCounters(state, s)));
          expect(state.firstDays.length).toBeLessThanOrEqual(maxItemsPerCustomer);
        },
      ),
    );
  });

  it('without eviction, ends at the same first days (the earliest day of each item) in any order', () => {
    fc.assert(
      fc.property(
        fc
          .array(purchase, { maxLength: 10 })
          .chain((ps) => fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length }))),
        ([purchases, shuffled]) => {
          const a = replay(purchases);
          const b = replay(shuffled);
          expect(b.state).toEqual(a.state);
          expect(b.counters).toEqual(a.counters);
          const earliest = new Map<string, number>();
          for (const p of purchases)
            for (const i of p.items) earliest.set(i, Math.min(earliest.get(i) ?? Infinity, p.day));
          expect(new Map(a.state.firstDays)).toEqual(earliest);
        },
      ),
    );
  });

  it('forget cancels every delta the customer ever emitted', () => {
    fc.assert(
      fc.property(fc.array(purchase, { maxLength: 12 }), fc.integer({ min: 1, max: 6 }), (purchases, max) => {
        const s = { horizonDays: 30, maxItemsPerCustomer: max };
        const { state, counters } = replay(purchases, s);
        expect(sum(counters, forgetSequences(state, s)).size).toBe(0);
      }),
    );
  });

  it('rejects bad settings and days', () => {
    expect(() => checkSequenceSettings({ horizonDays: 0, maxItemsPerCustomer: 1 })).toThrow(/horizonDays/);
    expect(() => checkSequenceSettings({ horizonDays: 30, maxItemsPerCustomer: 0 })).toThrow(/maxItems/);
    expect(() => recordPurchase(emptySequenceState, ['a'], 1.5, settings)).toThrow(RangeError);
    expect(utcDayOf(86_400_000 * 3 + 5)).toBe(3);
  });
});

describe('sequenceStepsFrom', () => {
  // 4 customers buy a; 3 of them go on to b after 2, 5 and 40 days (median 5); 1 goes from c to b.
  const wide = { horizonDays: 60, maxItemsPerCustomer: 50 };
  const customers = [
    [
      { items: ['a'], day: 0 },
      { items: ['b'], day: 2 },
    ],
    [
      { items: ['a'], day: 0 },
      { items: ['b'], day: 5 },
    ],
    [
      { items: ['a'], day: 0 },
      { items: ['b'], day: 40 },
    ],
    [{ items: ['a'], day: 0 }],
    [
      { items: ['c'], day: 0 },
      { items: ['b'], day: 1 },
    ],
  ];

  function partitions(split: number) {
    const snapshots: Record<string, number>[] = [{}, {}];
    customers.forEach((c, i) => {
      const { counters } = replay(c, wide);
      const snap = snapshots[i < split ? 0 : 1]!;
      for (const [f, v] of counters) snap[f] = (snap[f] ?? 0) + v;
    });
    snapshots[0]!['nbo:r:miner-field'] = 7;
    snapshots[1]!['other:field'] = 3;
    return snapshots;
  }

  it('learns the steps with their share and median gap, whatever the partitioning', () => {
    for (const split of [0, 2, 5]) {
      const steps = sequenceStepsFrom(sumCounters(partitions(split)), {
        minCustomers: 1,
        minShare: 0,
        minLift: 0,
      });
      expect(steps).toEqual([
        // 4 of the 5 customers bought b: a lift of 0.75 ÷ 0.8 and 1 ÷ 0.8.
        {
          from: 'a',
          to: 'b',
          customers: 3,
          customersWithFrom: 4,
          share: 0.75,
          lift: 0.9375,
          typicalGapDays: 5,
        },
        { from: 'c', to: 'b', customers: 1, customersWithFrom: 1, share: 1, lift: 1.25, typicalGapDays: 1 },
      ]);
    }
  });

  it('drops steps below the minimum customers, share or lift', () => {
    const summed = sumCounters(partitions(2));
    expect(
      sequenceStepsFrom(summed, { minCustomers: 2, minShare: 0, minLift: 0 }).map((s) => s.from),
    ).toEqual(['a']);
    expect(
      sequenceStepsFrom(summed, { minCustomers: 1, minShare: 0.8, minLift: 0 }).map((s) => s.from),
    ).toEqual(['c']);
    expect(
      sequenceStepsFrom(summed, { minCustomers: 1, minShare: 0, minLift: 1 }).map((s) => s.from),
    ).toEqual(['c']);
  });

  it('keeps only nbo: fields when summing', () => {
    expect(sumCounters([{ 'nbo:a:x': 1, other: 2 }, { 'nbo:a:x': 2 }])).toEqual(new Map([['nbo:a:x', 3]]));
  });
});
