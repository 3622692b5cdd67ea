import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueSegmentationSettings } from './settings.js';
import { viewWith } from './test-fixtures.js';
import type { TierThresholds } from './tier-view.js';
import {
  affectedScoreRanges,
  bandOf,
  downTierOf,
  evaluateTier,
  placementOf,
  ranksAbove,
  upTierOf,
  type ValueTier,
} from './tiers.js';

const settings = valueSegmentationSettings(); // hysteresis 5%
// top at 1000.00 EUR (band 50.00), middle from 100.00 EUR (band 5.00)
const thresholds: TierThresholds = { top2: null, top: 100_000, bottom: 10_000 };
const withTop2: TierThresholds = { top2: 500_000, top: 100_000, bottom: 10_000 };

const tierOf = (current: ValueTier | null, v: number, th = thresholds) =>
  evaluateTier(current, v, th, settings).tier;

describe('first placement', () => {
  it('is the highest tier whose lower threshold is at or below the value, without band', () => {
    expect(placementOf(100_000, thresholds)).toBe('top');
    expect(placementOf(99_999, thresholds)).toBe('middle');
    expect(placementOf(10_000, thresholds)).toBe('middle');
    expect(placementOf(9_999, thresholds)).toBe('bottom');
    expect(placementOf(-5, thresholds)).toBe('bottom');
    expect(placementOf(500_000, withTop2)).toBe('top2');
    expect(placementOf(499_999, withTop2)).toBe('top');
  });

  it('explains itself', () => {
    const placed = evaluateTier(null, 123_456, thresholds, settings);
    expect({ tier: placed.tier, move: placed.move, rule: placed.rule }).toEqual({
      tier: 'top',
      move: 'placed',
      rule: 'value 1,234.56 EUR ≥ top threshold 1,000.00: placed in top',
    });
    expect(evaluateTier(null, 500, thresholds, settings).rule).toBe(
      'value 5.00 EUR < middle threshold 100.00: placed in bottom',
    );
  });
});

describe('hysteresis', () => {
  it('moves up only past threshold + band', () => {
    expect(bandOf(100_000, settings)).toBe(5_000);
    expect(tierOf('middle', 104_999)).toBe('middle');
    expect(tierOf('middle', 105_000)).toBe('top');
    expect(tierOf('bottom', 10_499)).toBe('bottom');
    expect(tierOf('bottom', 10_500)).toBe('middle');
    // Far enough to skip a tier.
    expect(tierOf('bottom', 105_000)).toBe('top');
    expect(tierOf('top', 525_000, withTop2)).toBe('top2');
    expect(tierOf('top', 524_999, withTop2)).toBe('top');
  });

  it('moves down only past threshold - band', () => {
    expect(tierOf('top', 95_000)).toBe('top');
    expect(tierOf('top', 94_999)).toBe('middle');
    expect(tierOf('middle', 9_500)).toBe('middle');
    expect(tierOf('middle', 9_499)).toBe('bottom');
    expect(tierOf('top', 9_499)).toBe('bottom');
    expect(tierOf('top2', 474_999, withTop2)).toBe('top');
    expect(tierOf('top2', 475_000, withTop2)).toBe('top2');
  });

  it('stays inside the band on either side of a threshold', () => {
    for (const v of [95_000, 99_999, 100_000, 104_999]) {
      expect(tierOf('top', v)).toBe('top');
      expect(tierOf('middle', v)).toBe('middle');
    }
  });

  it('uses bands of negative thresholds by their size', () => {
    const negative: TierThresholds = { top2: null, top: 1_000, bottom: -2_000 };
    expect(bandOf(-2_000, settings)).toBe(100);
    expect(tierOf('middle', -2_100, negative)).toBe('middle');
    expect(tierOf('middle', -2_101, negative)).toBe('bottom');
    expect(tierOf('bottom', -1_900, negative)).toBe('middle');
    expect(tierOf('bottom', -1_901, negative)).toBe('bottom');
  });

  it('explains moves', () => {
    expect(evaluateTier('middle', 123_456, thresholds, settings).rule).toBe(
      'value 1,234.56 EUR ≥ top threshold 1,000.00 + band 50.00: moved up from middle',
    );
    expect(evaluateTier('top', 9_000, thresholds, settings).rule).toBe(
      'value 90.00 EUR < middle threshold 100.00 - band 5.00: moved down from top to bottom',
    );
    expect(evaluateTier('top', 97_000, thresholds, settings)).toMatchObject({ tier: 'top', move: 'stayed' });
  });
});

// ---- properties ------------------------------------------------------------------------------

const shareArb = fc.constantFrom(0, 0.05, 0.1, 0.3);
const valueArb = fc.oneof(
  fc.integer({ min: -2_000, max: 2_000 }),
  fc.integer({ min: -10_000_000, max: 10_000_000 }),
);
/** Ordered thresholds (top2 >= top >= bottom), as a view produces them. */
const thresholdsArb = fc
  .tuple(valueArb, valueArb, valueArb, fc.boolean())
  .map(([a, b, c, top2]): TierThresholds => {
    const [bottom, top, high] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
    return { top2: top2 ? high : null, top, bottom };
  });
const tierArb = (th: TierThresholds) =>
  fc.constantFrom<ValueTier>(
    ...(th.top2 === null
      ? (['top', 'middle', 'bottom'] as const)
      : (['top2', 'top', 'middle', 'bottom'] as const)),
  );

describe('tier properties', () => {
  it('keeps the tier after hysteresis between up(v) and down(v)', () => {
    fc.assert(
      fc.property(
        shareArb,
        thresholdsArb.chain((th) => fc.tuple(fc.constant(th), fc.option(tierArb(th), { nil: null }))),
        valueArb,
        (share, [th, current], v) => {
          const s = valueSegmentationSettings({ hysteresisShare: share });
          const next = evaluateTier(current, v, th, s).tier;
          const up = upTierOf(v, th, s);
          const down = downTierOf(v, th, s);
          expect(ranksAbove(up, next)).toBe(false);
          expect(ranksAbove(next, down)).toBe(false);
          // Evaluating again changes nothing: a spurious re-evaluation never emits.
          expect(evaluateTier(next, v, th, s).tier).toBe(next);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('returns score ranges holding every customer whose tier a refresh would change', () => {
    fc.assert(
      fc.property(
        shareArb,
        thresholdsArb,
        thresholdsArb,
        fc.array(
          fc.tuple(valueArb, fc.constantFrom<ValueTier | null>(null, 'top2', 'top', 'middle', 'bottom')),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (share, oldTh, newTh, population) => {
          const s = valueSegmentationSettings({ hysteresisShare: share });
          // Tiers as the old view left them: each customer was last evaluated under it.
          const sameTop2 = { ...newTh, top2: oldTh.top2 === null ? null : (newTh.top2 ?? newTh.top) };
          const previous = viewWith(oldTh);
          const next = viewWith(sameTop2);
          const ranges = affectedScoreRanges(previous, next, s);
          for (const [v, start] of population) {
            const before = evaluateTier(start, v, oldTh, s).tier;
            const after = evaluateTier(before, v, sameTop2, s).tier;
            if (after !== before) {
              expect(ranges.some(([lo, hi]) => v >= lo && v <= hi)).toBe(true);
            }
          }
          for (let i = 1; i < ranges.length; i += 1)
            expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1] + 1);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('concerns every customer on the first view', () => {
    expect(affectedScoreRanges(null, viewWith(thresholds), settings)).toEqual([
      [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    ]);
  });

  it('merges the ranges of nearby thresholds', () => {
    const previous = viewWith({ top: 100_000, bottom: 10_000 });
    const next = viewWith({ top: 120_000, bottom: 10_000 });
    expect(affectedScoreRanges(previous, next, settings)).toEqual([
      [9_500, 10_500],
      [94_000, 126_000],
    ]);
  });
});
