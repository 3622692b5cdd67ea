import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Contribution } from './purchase-value.js';
import { DAY_MS, type ValueSegmentationSettings, valueSegmentationSettings } from './settings.js';
import { day } from './test-fixtures.js';
import {
  addContribution,
  type Bucket,
  bucketStartOf,
  isActiveAt,
  maxBucketCount,
  nextAgeOutAt,
  pruneBuckets,
  rankingValueAt,
  rollingValues,
} from './windows.js';

const settings = valueSegmentationSettings();
const sale = (valueMinor: number, items = 1): Contribution => ({ valueMinor, orders: 1, items });

describe('bucketed rolling windows', () => {
  it('adds contributions to the bucket of their event time, keeping buckets sorted', () => {
    let buckets: readonly Bucket[] = [];
    buckets = addContribution(buckets, bucketStartOf(day(5) + 3_600_000, settings), sale(100));
    buckets = addContribution(buckets, bucketStartOf(day(2), settings), sale(50, 2));
    buckets = addContribution(buckets, bucketStartOf(day(5) + 7_200_000, settings), sale(25));
    buckets = addContribution(buckets, bucketStartOf(day(9), settings), {
      valueMinor: -30,
      orders: 0,
      items: -1,
    });
    expect(buckets).toEqual([
      [day(2), 50, 1, 2],
      [day(5), 125, 2, 2],
      [day(9), -30, 0, -1],
    ]);
  });

  it('counts a bucket in a window until exactly start + window', () => {
    const buckets: Bucket[] = [[day(0), 100, 1, 1]];
    expect(rankingValueAt(buckets, day(365) - 1, settings)).toBe(100);
    expect(isActiveAt(buckets, day(365) - 1, settings)).toBe(true);
    expect(rankingValueAt(buckets, day(365), settings)).toBe(0);
    expect(isActiveAt(buckets, day(365), settings)).toBe(false);
  });

  it('sums every window at stream time', () => {
    const buckets: Bucket[] = [
      [day(0), 1_000, 1, 3],
      [day(300), 200, 2, 2],
      [day(340), 30, 1, 1],
    ];
    expect(rollingValues(buckets, day(360), settings)).toEqual([
      { windowDays: 30, valueMinor: 30, orders: 1, items: 1 },
      { windowDays: 90, valueMinor: 230, orders: 3, items: 3 },
      { windowDays: 365, valueMinor: 1_230, orders: 4, items: 6 },
    ]);
  });

  it('prunes buckets that no window can use any more', () => {
    const buckets: Bucket[] = [
      [day(0), 1, 1, 1],
      [day(10), 2, 1, 1],
    ];
    expect(pruneBuckets(buckets, day(365), settings)).toEqual([[day(10), 2, 1, 1]]);
    expect(pruneBuckets(buckets, day(375), settings)).toEqual([]);
  });

  it('schedules the next age-out at the oldest counting bucket leaving the ranking window', () => {
    const ninety = valueSegmentationSettings({ rankingWindowDays: 90 });
    const buckets: Bucket[] = [
      [day(0), 1, 1, 1], // already out of the 90-day window at day 100 (kept for the 365-day one)
      [day(20), 0, 1, 1], // nets to zero, but still holds the customer in the population
      [day(50), 5, 1, 1],
    ];
    expect(nextAgeOutAt(buckets, day(100), ninety)).toBe(day(110));
    expect(nextAgeOutAt(buckets, day(110), ninety)).toBe(day(140));
    expect(nextAgeOutAt(buckets, day(140), ninety)).toBeNull();
  });
});

// ---- properties ------------------------------------------------------------------------------

const settingsArb = fc.constantFrom<ValueSegmentationSettings>(
  settings,
  valueSegmentationSettings({
    windowsDays: [2, 5, 10],
    rankingWindowDays: 5,
    bucketWidthMs: 6 * 3_600_000,
    allowedLatenessMs: DAY_MS,
  }),
  valueSegmentationSettings({ windowsDays: [1, 7], rankingWindowDays: 1, allowedLatenessMs: 3 * DAY_MS }),
  valueSegmentationSettings({ windowsDays: [7], rankingWindowDays: 7, bucketWidthMs: 5 * 3_600_000 }),
);

/** A record: how far the clock moves, how late the event is (share of allowed lateness), what it adds. */
const recordArb = fc.record({
  advance: fc.oneof(fc.integer({ min: 0, max: 6 * 3_600_000 }), fc.integer({ min: 0, max: 40 * DAY_MS })),
  lateShare: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1.4, noNaN: true })),
  valueMinor: fc.integer({ min: -50_000, max: 50_000 }),
  orders: fc.integer({ min: 0, max: 1 }),
  items: fc.integer({ min: -3, max: 3 }),
});

interface RawRecord {
  readonly eventTime: number;
  readonly contribution: Contribution;
}

describe('rolling window properties', () => {
  it('equal a brute-force recomputation from the raw records, for any records at any stream times', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.array(recordArb, { minLength: 1, maxLength: 80, size: 'max' }),
        (s, records) => {
          let streamTime: number | null = null;
          let clock = day(0);
          let buckets: readonly Bucket[] = [];
          const applied: RawRecord[] = [];
          for (const r of records) {
            clock += r.advance;
            const eventTime = clock - Math.floor(r.lateShare * s.allowedLatenessMs);
            // Records older than stream time minus the lateness are dead letters: not applied.
            if (streamTime !== null && eventTime < streamTime - s.allowedLatenessMs) continue;
            streamTime = streamTime === null ? eventTime : Math.max(streamTime, eventTime);
            const contribution = { valueMinor: r.valueMinor, orders: r.orders, items: r.items };
            buckets = pruneBuckets(
              addContribution(buckets, bucketStartOf(eventTime, s), contribution),
              streamTime,
              s,
            );
            applied.push({ eventTime, contribution });
            // Brute force: every applied record whose bucket still counts in the window.
            for (const totals of rollingValues(buckets, streamTime, s)) {
              const counting = applied.filter(
                (a) => bucketStartOf(a.eventTime, s) > streamTime! - totals.windowDays * DAY_MS,
              );
              expect(totals).toEqual({
                windowDays: totals.windowDays,
                valueMinor: counting.reduce((acc, a) => acc + a.contribution.valueMinor, 0),
                orders: counting.reduce((acc, a) => acc + a.contribution.orders, 0),
                items: counting.reduce((acc, a) => acc + a.contribution.items, 0),
              });
            }
            // (b) the state stays bounded however long the customer lives.
            expect(buckets.length).toBeLessThanOrEqual(maxBucketCount(s));
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
