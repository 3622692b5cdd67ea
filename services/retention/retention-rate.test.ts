import { describe, expect, it } from 'vitest';
import { type ActivePeriod, ratesFrom, retentionCounters } from './retention-rate.js';

const P = 30;

/** Applies a customer's purchases (time, revenue, repeat day?) to summed counters. */
function run(
  customers: Array<{ tier: string; purchases: Array<[number, number, boolean]> }>,
): Map<string, number> {
  const totals = new Map<string, number>();
  for (const { tier, purchases } of customers) {
    let active: ActivePeriod | null = null;
    for (const [t, revenue, repeatDay] of purchases) {
      const step = retentionCounters(active, t, P, tier, revenue, repeatDay);
      active = step.active;
      for (const { field, delta } of step.counters) totals.set(field, (totals.get(field) ?? 0) + delta);
    }
  }
  return totals;
}

describe('retention rate and repeat revenue', () => {
  it('is the share of a period’s buyers who buy again in the next, per tier', () => {
    const totals = run([
      {
        tier: 'top',
        purchases: [
          [1, 100, false],
          [31, 50, true],
          [61, 50, true],
        ],
      }, // k0, k1, k2
      {
        tier: 'top',
        purchases: [
          [2, 100, false],
          [70, 80, true],
        ],
      }, // k0, k2: not retained in k1
      {
        tier: 'bottom',
        purchases: [
          [5, 10, false],
          [40, 10, true],
          [95, 10, true],
        ],
      }, // k0, k1, k3
      { tier: 'bottom', purchases: [[35, 10, false]] }, // k1 only
    ]);
    const rates = ratesFrom(totals);
    // Newest period with activity: k3; the last complete cohort is k1 (followed by k2).
    expect(rates.period).toBe(1);
    expect(rates.byTier.get('top')).toEqual({ active: 1, retained: 1, rate: 1 });
    expect(rates.byTier.get('bottom')).toEqual({ active: 2, retained: 0, rate: 0 });
    // Period k2: revenue 50 + 80, all of it from repeat days.
    expect(rates.repeatRevenueShare).toBe(1);
    // All time: repeat 50 + 50 + 80 + 10 + 10 = 200 of 420.
    expect(rates.repeatRevenueShareAllTime).toBeCloseTo(200 / 420, 12);
  });

  it('counts a customer once per period, and a late purchase as revenue only', () => {
    let active: ActivePeriod | null = null;
    const first = retentionCounters(active, 10, P, 'top', 5, false);
    active = first.active;
    const again = retentionCounters(active, 20, P, 'top', 5, true);
    expect(again.counters).toEqual([
      { field: 'rv:0:all', delta: 5 },
      { field: 'rv:0:repeat', delta: 5 },
    ]);
    const next = retentionCounters(again.active, 45, P, 'middle', 7, true);
    expect(next.counters).toContainEqual({ field: 'ra:1:middle', delta: 1 });
    expect(next.counters).toContainEqual({ field: 'rr:0:top', delta: 1 });
    const late = retentionCounters(next.active, 25, P, 'middle', 3, true);
    expect(late.counters.map((c) => c.field)).toEqual(['rv:0:all', 'rv:0:repeat']);
    expect(late.active).toEqual({ period: 1, tier: 'middle' });
  });

  it('has no rates before any purchase', () => {
    expect(ratesFrom(new Map())).toMatchObject({ period: null, repeatRevenueShare: null });
  });
});
