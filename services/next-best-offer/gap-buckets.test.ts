import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gapBucket, gapBucketWidth, medianGapBucket } from './gap-buckets.js';

describe('gap buckets', () => {
  it('is daily for a week, weekly to 56 days, then 28 days wide', () => {
    expect([1, 2, 7].map(gapBucket)).toEqual([1, 2, 7]);
    expect([8, 14, 15, 56].map(gapBucket)).toEqual([8, 8, 15, 50]);
    expect([57, 84, 85, 366].map(gapBucket)).toEqual([57, 57, 85, 365]);
    expect(() => gapBucket(0)).toThrow(RangeError);
    expect(() => gapBucket(1.5)).toThrow(RangeError);
  });

  it('puts every gap in the bucket [lower bound, lower bound + width - 1], buckets being consecutive', () => {
    for (let gap = 1; gap <= 3660; gap++) {
      const lower = gapBucket(gap);
      expect(gap).toBeGreaterThanOrEqual(lower);
      expect(gap).toBeLessThan(lower + gapBucketWidth(lower));
      expect(gapBucket(lower)).toBe(lower);
      if (gap > 1) {
        const previous = gapBucket(gap - 1);
        expect(lower === previous || lower === gap).toBe(true);
      }
    }
    // Bounded: a year's horizon has few buckets.
    expect(new Set(Array.from({ length: 366 }, (_, i) => gapBucket(i + 1))).size).toBe(26);
  });

  it('finds the bucket of the lower median exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 60 }), (gaps) => {
        const counts = new Map<number, number>();
        for (const g of gaps) counts.set(gapBucket(g), (counts.get(gapBucket(g)) ?? 0) + 1);
        const sorted = [...gaps].sort((a, b) => a - b);
        const lowerMedian = sorted[Math.ceil(sorted.length / 2) - 1]!;
        expect(medianGapBucket(counts)).toBe(gapBucket(lowerMedian));
      }),
    );
  });

  it('ignores empty and negative buckets; nothing left gives null', () => {
    expect(medianGapBucket(new Map())).toBeNull();
    expect(medianGapBucket(new Map([[3, 0]]))).toBeNull();
    expect(
      medianGapBucket(
        new Map([
          [1, -2],
          [5, 1],
        ]),
      ),
    ).toBe(5);
  });
});
