import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexCoverage, mergeRanges, type ScoreRange, subtract, widen } from './index-coverage.js';

const range = fc
  .tuple(fc.integer({ min: -50, max: 1050 }), fc.integer({ min: 0, max: 300 }))
  .map(([lo, width]): ScoreRange => [lo, lo + width]);
const openRange = fc.oneof(
  { weight: 8, arbitrary: range },
  { weight: 1, arbitrary: fc.constant<ScoreRange>([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 1000 }).map((x): ScoreRange => [Number.NEGATIVE_INFINITY, x]),
  },
);

describe('IndexCoverage', () => {
  it('answers every sequence of range queries as a fresh read of the index would, reading each score range at most once', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1000 })),
        fc.array(fc.array(openRange, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        (index, queries) => {
          const coverage = new IndexCoverage();
          const readSoFar: ScoreRange[] = [];
          for (const ranges of queries) {
            const toRead = coverage.toRead(ranges);
            // What is read was not read before (beyond shared end points).
            for (const r of toRead)
              for (const before of readSoFar)
                expect(Math.min(r[1], before[1]) <= Math.max(r[0], before[0])).toBe(true);
            readSoFar.push(...toRead);
            const answer = new Map(
              Object.entries(index)
                .filter(([, score]) => toRead.some(([lo, hi]) => score >= lo && score <= hi))
                .map(([id, score]) => [id, { score }]),
            );
            coverage.add(toRead, answer);
            const expected = Object.entries(index)
              .filter(([, score]) => ranges.some(([lo, hi]) => score >= lo && score <= hi))
              .map(([id]) => id)
              .sort();
            expect([...new Set(coverage.idsIn(ranges))].sort()).toEqual(expected);
          }
        },
      ),
    );
  });

  it('reads nothing for a range inside what it read, and a widened range for a drifting threshold', () => {
    const coverage = new IndexCoverage();
    expect(coverage.toRead([[100, 110]])).toEqual([[90, 120]]);
    coverage.add(
      [[90, 120]],
      new Map([
        ['a', { score: 95 }],
        ['b', { score: 118 }],
      ]),
    );
    expect(coverage.toRead([[92, 119]])).toEqual([]);
    expect(coverage.idsIn([[92, 119]])).toEqual(['a', 'b']);
    // Drifted past the top: only the new part is read, with room above it.
    expect(coverage.toRead([[115, 125]])).toEqual([[120, 130]]);
  });
});

describe('range helpers', () => {
  it('subtract leaves exactly the points outside the covered ranges', () => {
    fc.assert(
      fc.property(
        range,
        fc.array(range, { maxLength: 4 }),
        fc.integer({ min: -60, max: 1400 }),
        (r, covered, x) => {
          const parts = subtract(r, mergeRanges(covered));
          const inParts = parts.some(([lo, hi]) => x >= lo && x <= hi);
          const inRange = x >= r[0] && x <= r[1];
          const inCovered = covered.some(([lo, hi]) => x >= lo && x <= hi);
          if (inRange && !inCovered) expect(inParts).toBe(true);
          if (!inRange) expect(inParts).toBe(false);
        },
      ),
    );
  });

  it('widen keeps infinite ends and adds the width on both sides', () => {
    expect(widen([10, 20])).toEqual([0, 30]);
    expect(widen([5, 5])).toEqual([4, 6]);
    expect(widen([Number.NEGATIVE_INFINITY, 3])).toEqual([Number.NEGATIVE_INFINITY, 3]);
  });
});
